"""`flask ivr scripts ...`: check, publish and sync call scripts and hold policies."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from call_scripts import ScriptError
from call_scripts.sms import parse_sms
from tickets import versions

from .session import open_session

cli = AppGroup("scripts", help="Call scripts.")

KIND = click.option("--kind", type=click.Choice(["script", "policy", "messages"]), default=None,
                    help="Call script, hold policy or SMS texts (default: a policy if the file "
                         "is under a 'policies' folder, SMS texts under 'messages').")
FOLDERS = {"policies": "policy", "messages": "messages"}
CHECKERS = {**versions.PARSERS, "messages": parse_sms}


def _kind_of(file: str, kind: str | None) -> str:
    return kind or FOLDERS.get(Path(file).parent.name, "script")


@cli.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@KIND
def scripts_check(files: tuple[str, ...], kind: str | None) -> None:
    """Validate script or policy files; print every problem with its file, line and step."""
    failed = False
    for file in files:
        try:
            text = Path(file).read_text(encoding="utf-8")
            parsed = CHECKERS[_kind_of(file, kind)](text, Path(file).name)
        except ScriptError as exc:
            failed = True
            for problem in exc.problems:
                click.echo(str(problem), err=True)
        else:
            steps = getattr(parsed, "steps", None)
            click.echo(f"{file}: ok" + (f" ({len(steps)} steps, languages "
                                         f"{', '.join(parsed.languages)})" if steps else ""))
    if failed:
        sys.exit(1)


@cli.command("publish")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--name", help="Name (default: the file name without .yaml; a policy named "
              "'tier2' holds tier 2's queue, 'default' every other).")
@click.option("--author", default="cli")
@KIND
def scripts_publish(file: str, name: str | None, author: str, kind: str | None) -> None:
    """Publish FILE as the next version of its script or policy; live calls keep theirs."""
    name = name or Path(file).stem
    if _kind_of(file, kind) == "messages":
        raise click.UsageError("SMS texts are not published: they ship with the release "
                               "(check them with `flask ivr scripts check`)")
    with open_session() as session:
        try:
            version = versions.publish(session, name, Path(file).read_text("utf-8"), author,
                                      _kind_of(file, kind))
        except ScriptError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            sys.exit(1)
        session.commit()
        click.echo(f"published {name} version {version.version}")


@cli.command("sync")
def scripts_sync() -> None:
    """Publish the shipped scripts that changed since their live version."""
    with open_session() as session:
        for version in versions.sync_shipped(session):
            click.echo(f"published {version.name} version {version.version}")
        session.commit()
