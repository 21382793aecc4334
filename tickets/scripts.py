"""Published call-script versions: a call keeps the version it started with."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from call_scripts import Script, parse, shipped_scripts

from .models import ScriptVersion


def publish(session: Session, name: str, text: str, author: str = "system") -> ScriptVersion:
    """Validate and store a new version of a script (raises ScriptError if it is bad)."""
    parse(text, source=f"{name}.yaml")
    latest = session.scalar(
        select(func.max(ScriptVersion.version)).where(ScriptVersion.kind == "script",
                                                      ScriptVersion.name == name)
    )
    version = ScriptVersion(kind="script", name=name, version=(latest or 0) + 1, text=text,
                            author=author)
    session.add(version)
    session.flush()
    return version


def current(session: Session, name: str) -> ScriptVersion:
    """The live version of a script, publishing the shipped file if none exists yet."""
    version = session.scalar(
        select(ScriptVersion)
        .where(ScriptVersion.kind == "script", ScriptVersion.name == name)
        .order_by(ScriptVersion.version.desc())
        .limit(1)
    )
    if version is None:
        path = shipped_scripts()[name]
        version = publish(session, name, path.read_text(encoding="utf-8"), author="shipped")
    return version


def sync_shipped(session: Session) -> list[ScriptVersion]:
    """Publish each shipped script whose file differs from its live version."""
    published = []
    for name, path in shipped_scripts().items():
        text = path.read_text(encoding="utf-8")
        live = current(session, name)
        if live.text != text:
            published.append(publish(session, name, text, author="shipped"))
    return published


@lru_cache(maxsize=64)
def _parsed(version_id: int, name: str, text: str) -> Script:
    return parse(text, source=f"{name}.yaml")


def script_of(version: ScriptVersion) -> Script:
    """The parsed script of a version (versions never change, so parsing is cached)."""
    return _parsed(version.id, version.name, version.text)
