"""`flask ivr agents ...`: the analysts who take routed calls."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from tickets.models import Agent
from tickets.phones import mask_phone, to_e164

from .session import open_session

cli = AppGroup("agents", help="Analysts who take routed calls.")


@cli.command("add")
@click.argument("name")
@click.option("--phone", help="The agent's phone (any format; stored as E.164).")
@click.option("--client", "client_identity", help="Twilio Client identity instead of a phone.")
@click.option("--tier", type=click.IntRange(1, 3), default=1, show_default=True)
@click.option("--skills", default="", help="Comma-separated service categories (empty: all).")
def agents_add(name: str, phone: str | None, client_identity: str | None, tier: int,
               skills: str) -> None:
    """Register an analyst (offline until they log in)."""
    number = to_e164(phone) if phone else None
    if phone and number is None:
        raise click.BadParameter(f"not a phone number: {phone}", param_hint="--phone")
    if not number and not client_identity:
        raise click.UsageError("give --phone or --client")
    with open_session() as session:
        session.add(Agent(name=name, phone=number, client_identity=client_identity, tier=tier,
                          skills=[s.strip() for s in skills.split(",") if s.strip()]))
        session.commit()
    click.echo(f"agent {name} added (tier {tier})")


@cli.command("list")
def agents_list() -> None:
    """Show analysts and their status."""
    with open_session() as session:
        for agent in session.scalars(select(Agent).order_by(Agent.tier, Agent.name)):
            where = mask_phone(agent.phone) if agent.phone else f"client:{agent.client_identity}"
            click.echo(f"{agent.id:>4}  tier {agent.tier}  {agent.status:<10} {agent.name}"
                       f"  ({where})")
