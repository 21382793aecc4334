"""`flask ivr agents ...`: the analysts who take routed calls."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from tickets.models import Agent
from tickets.phones import mask_phone, to_e164

from ..queues.agents import phone_login_refused, set_phone_pin
from .session import open_session

cli = AppGroup("agents", help="Analysts who take routed calls.")


@cli.command("add")
@click.argument("name")
@click.option("--phone", help="The agent's phone (any format; stored as E.164).")
@click.option("--client", "client_identity", help="Twilio Client identity instead of a phone.")
@click.option("--tier", type=click.IntRange(1, 3), default=1, show_default=True)
@click.option("--skills", default="", help="Comma-separated service categories (empty: all).")
@click.option("--pin", is_flag=True, help="Ask for the PIN they key to log in by phone.")
def agents_add(name: str, phone: str | None, client_identity: str | None, tier: int,
               skills: str, pin: bool) -> None:
    """Register an analyst (offline until they log in)."""
    number = to_e164(phone) if phone else None
    if phone and number is None:
        raise click.BadParameter(f"not a phone number: {phone}", param_hint="--phone")
    if not number and not client_identity:
        raise click.UsageError("give --phone or --client")
    with open_session() as session:
        agent = Agent(name=name, phone=number, client_identity=client_identity, tier=tier,
                      skills=[s.strip() for s in skills.split(",") if s.strip()])
        if pin:
            _set_pin(agent)
        session.add(agent)
        session.commit()
    click.echo(f"agent {name} added (tier {tier})")


def _set_pin(agent: Agent) -> None:
    pin = click.prompt("Phone PIN (4 to 8 digits)", hide_input=True, confirmation_prompt=True)
    try:
        set_phone_pin(agent, pin)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="PIN") from None


@cli.command("set-pin")
@click.argument("agent")
def agents_set_pin(agent: str) -> None:
    """Set the PIN AGENT (an id or exact name) keys to log in by phone (asked, not echoed);
    it also ends a lock after wrong PINs."""
    with open_session() as session:
        query = select(Agent).where(Agent.id == int(agent)) if agent.isdigit() \
            else select(Agent).where(Agent.name == agent)
        found = session.scalars(query).all()
        if len(found) != 1:
            raise click.UsageError(f"no agent {agent!r}" if not found else
                                   f"{len(found)} agents are named {agent!r}: give the id")
        _set_pin(found[0])
        session.commit()
    click.echo(f"phone PIN of {found[0].name} set")


@cli.command("list")
def agents_list() -> None:
    """Show analysts and their status."""
    with open_session() as session:
        for agent in session.scalars(select(Agent).order_by(Agent.tier, Agent.name)):
            where = mask_phone(agent.phone) if agent.phone else f"client:{agent.client_identity}"
            pin = phone_login_refused(agent)
            click.echo(f"{agent.id:>4}  tier {agent.tier}  {agent.status:<10} {agent.name}"
                       f"  ({where}; phone PIN {pin or 'set'})")
