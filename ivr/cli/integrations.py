"""`flask ivr integrations ...`: signing secrets for webhooks, a look at what is configured."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

cli = AppGroup("integrations", help="Webhooks, SMS and ticket systems (INTEGRATIONS_FILE).")


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
    base = current_app.config["PUBLIC_BASE_URL"]
    for connector in integrations.connectors:
        back = f"{base}/hooks/{connector.name}" if connector.webhook_secret else "none"
        click.echo(f"ticket system {connector.name} ({connector.kind}): {connector.url}; "
                   f"its webhook: {back}")
