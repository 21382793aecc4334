"""`flask ivr users create`: console logins."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from tickets.accounts import ROLES
from tickets.models import Agent

from ..console.auth import create_user
from .session import open_session

cli = AppGroup("users", help="Console logins.")


@cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default="agent", show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for when not given (give it only in scripts).")
@click.option("--name", default="", help="Full name shown in the console and on timelines.")
@click.option("--agent-id", type=int, help="The analyst (flask ivr agents list) this login is.")
def users_create(username: str, role: str, password: str, name: str,
                 agent_id: int | None) -> None:
    """Create a console login (the first admin, for instance)."""
    with open_session() as session:
        if agent_id is not None and session.get(Agent, agent_id) is None:
            raise click.BadParameter(f"no agent {agent_id}", param_hint="--agent-id")
        try:
            create_user(session, username, password, role, name=name, agent_id=agent_id)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
    click.echo(f"user {username} created ({role})")
