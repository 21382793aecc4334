"""Command line: `flask db ...` (the schema) and `flask ivr ...` (the line), one module per
command group, all registered here."""

from __future__ import annotations

from flask import Flask
from flask.cli import AppGroup

from . import agents, db, demo, integrations, line, phone, scripts, tokens, users

ivr_cli = AppGroup("ivr", help="The help-desk line.")
for group in (scripts.cli, demo.cli, users.cli, agents.cli, tokens.cli, integrations.cli):
    ivr_cli.add_command(group)
for command in (*line.COMMANDS, phone.call):
    ivr_cli.add_command(command)


def register_commands(app: Flask) -> None:
    """`flask ivr ...` and `flask db ...`."""
    app.cli.add_command(ivr_cli)
    app.cli.add_command(db.cli)
