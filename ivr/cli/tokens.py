"""`flask ivr api-token ...`: bearer tokens for the JSON API and /metrics."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from tickets.accounts import SCOPES, ApiToken

from ..api.tokens import DEFAULT_SCOPES, TIERS, create_token, revoke
from ..clock import now
from .session import open_session

cli = AppGroup("api-token", help="Bearer tokens for the JSON API and /metrics.")


@cli.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(list(SCOPES)),
              help="What the token may do (repeat for several; default: "
                   f"{' and '.join(DEFAULT_SCOPES)}). "
                   + "; ".join(f"{name}: {what}" for name, what in SCOPES.items()) + ".")
@click.option("--tier", "tiers", multiple=True, type=click.IntRange(TIERS.start, TIERS.stop - 1),
              help="Only this tier's tickets and queue (repeat for several; default: all).")
def api_token_create(name: str, scopes: tuple[str, ...], tiers: tuple[int, ...]) -> None:
    """Make a token for NAME (an integration); it is printed once and never stored."""
    with open_session() as session:
        try:
            row, token = create_token(session, name, now(), scopes or DEFAULT_SCOPES,
                                      tiers or None)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        session.commit()
    click.echo(f"API token for {name}: {_what(row)} (shown once; keep it secret):")
    click.echo(token)


def _what(row: ApiToken) -> str:
    tiers = ", ".join(map(str, row.tiers)) if row.tiers is not None else "all"
    return f"{' '.join(row.scopes)}; tiers {tiers}"


@cli.command("list")
def api_token_list() -> None:
    """Show tokens: name, scopes and tiers, created, last used, revoked."""
    with open_session() as session:
        for row in session.scalars(select(ApiToken).order_by(ApiToken.id)):
            used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never"
            click.echo(f"{row.id:>4}  {row.name:<30} {_what(row)}  created "
                       f"{row.created_at:%Y-%m-%d %H:%M}  last used {used}"
                       f"{'  REVOKED' if row.revoked else ''}")


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
