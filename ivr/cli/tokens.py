"""`flask ivr api-token ...`: bearer tokens for the JSON API and /metrics."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from tickets.accounts import ApiToken

from ..api.tokens import create_token, revoke
from ..clock import now
from .session import open_session

cli = AppGroup("api-token", help="Bearer tokens for the JSON API and /metrics.")


@cli.command("create")
@click.argument("name")
def api_token_create(name: str) -> None:
    """Make a token for NAME (an integration); it is printed once and never stored."""
    with open_session() as session:
        _row, token = create_token(session, name, now())
        session.commit()
    click.echo(f"API token for {name} (shown once; keep it secret):")
    click.echo(token)


@cli.command("list")
def api_token_list() -> None:
    """Show tokens: name, created, last used, revoked."""
    with open_session() as session:
        for row in session.scalars(select(ApiToken).order_by(ApiToken.id)):
            used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never"
            click.echo(f"{row.id:>4}  {row.name:<30} created {row.created_at:%Y-%m-%d %H:%M}"
                       f"  last used {used}{'  REVOKED' if row.revoked else ''}")


@cli.command("revoke")
@click.argument("name")
def api_token_revoke(name: str) -> None:
    """Revoke the tokens named NAME."""
    with open_session() as session:
        count = revoke(session, name)
        session.commit()
    if not count:
        raise click.ClickException(f"no live token named {name}")
    click.echo(f"{count} token(s) revoked")
