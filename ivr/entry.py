"""`helpdesk-ivr`: the `flask` command bound to the app factory, plus `serve`.

Every command of the app's `ivr` group is also a top-level command, so `helpdesk-ivr scheduler`
is `flask ivr scheduler` and `helpdesk-ivr users create` is `flask ivr users create`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext

ALIASED_GROUP = "ivr"
GUNICORN_CONFIG = Path(__file__).resolve().parent / "gunicorn.conf.py"


def make_app() -> Flask:
    """The app from the environment; a wrong setting is a one-line error, not a traceback."""
    from . import create_app
    from .config import ConfigError

    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


class HelpdeskGroup(FlaskGroup):
    """Flask's command group, with the `ivr` group's commands also at the top level."""

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name != ALIASED_GROUP:
            group = super().get_command(ctx, ALIASED_GROUP)
            if isinstance(group, click.Group):
                command = group.get_command(ctx, name)
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except click.ClickException as exc:  # list what needs no app, say why the rest is not
            click.secho(f"Error: {exc.format_message()}\n", err=True, fg="red")
            return sorted(self.commands)
        names = set(super().list_commands(ctx))
        group = super().get_command(ctx, ALIASED_GROUP)
        if isinstance(group, click.Group):
            names |= set(group.list_commands(ctx))
        return sorted(names)


@click.command("serve", context_settings={"ignore_unknown_options": True,
                                          "allow_extra_args": True})
@click.argument("gunicorn_options", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def serve(gunicorn_options: tuple[str, ...]) -> None:
    """Serve the line with gunicorn and the shipped settings (ivr/gunicorn.conf.py).

    Options after `serve` go to gunicorn, e.g. `helpdesk-ivr serve --bind 0.0.0.0:8000`.
    The settings are checked first, so a wrong one stops here with its name.
    """
    argv = [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONFIG),
            *gunicorn_options, "ivr:create_app()"]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)  # gunicorn takes over this process (and its signals)


cli = HelpdeskGroup(name="helpdesk-ivr", create_app=make_app,
                    help="The help-desk line: migrations, the web server, the scheduler, "
                         "users, agents, scripts and the terminal phone.")
cli.add_command(serve)


def main() -> None:
    cli.main()
