"""`flask ivr ...`: every command group of the line, gathered (ivr.cli loads this module when a
command of the group is looked up, not when the app is built)."""

from __future__ import annotations

from flask.cli import AppGroup

from . import agents, demo, integrations, line, phone, scripts, tokens, users

ivr_cli = AppGroup("ivr", help="The help-desk line.")
for group in (scripts.cli, demo.cli, users.cli, agents.cli, tokens.cli, integrations.cli):
    ivr_cli.add_command(group)
for command in (*line.COMMANDS, phone.call):
    ivr_cli.add_command(command)

