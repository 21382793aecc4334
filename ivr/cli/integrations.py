"""`flask ivr integrations ...`: signing secrets for webhooks, a look at what is configured."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

cli = AppGroup("integrations", help="Webhooks and SMS (INTEGRATIONS_FILE).")


@cli.command("new-secret")
def integrations_new_secret() -> None:
    """Print a fresh webhook signing secret (give it to the receiver and to secret_env)."""
    from ..outbox.webhooks import new_secret  # loads requests: only for this command

    click.echo(new_secret())


@cli.command("show")
def integrations_show() -> None:
    """What this deployment sends where (secrets not shown)."""
    integrations = current_app.extensions["integrations"]
    if not integrations.webhooks:
        click.echo("webhooks: none")
    for hook in integrations.webhooks:
        click.echo(f"webhook {hook.name}: {hook.url} ({', '.join(hook.events)})")
    sms = integrations.sms
    click.echo(f"sms: {'on' if sms.enabled else 'off'}")
