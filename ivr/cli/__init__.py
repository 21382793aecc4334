"""Command line: `flask db ...` (the schema) and `flask ivr ...` (the line), one module per
command group. The two groups are registered here by name; their modules (and all they import)
are loaded when one of their commands is looked up, so that building the app for a web worker
loads none of them."""

from __future__ import annotations

import importlib

import click
from flask import Flask

GROUPS = {  # name: where the group is defined, and its help
    "ivr": ("ivr.cli.commands:ivr_cli", "The help-desk line."),
    "db": ("ivr.cli.db:cli", "Database schema (Alembic migrations)."),
}


class LazyGroup(click.Group):
    """Stands for a command group defined in a module imported on first use."""

    def __init__(self, name: str, target: str, help: str):
        super().__init__(name, help=help)
        self.target = target

    def real(self) -> click.Group:
        module, _, attr = self.target.partition(":")
        group: click.Group = getattr(importlib.import_module(module), attr)
        return group

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self.real().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self.real().get_command(ctx, cmd_name)


def register_commands(app: Flask) -> None:
    """`flask ivr ...` and `flask db ...`."""
    for name, (target, text) in GROUPS.items():
        app.cli.add_command(LazyGroup(name, target, text))
