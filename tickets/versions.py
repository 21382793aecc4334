"""Published versions of call scripts and hold policies: a call keeps the version it started
with, and publishing never edits a version, it adds one. The live hold policy is read here."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from call_scripts import parse, shipped_scripts
from call_scripts.loader import SCRIPTS_DIR
from call_scripts.policy import HoldPolicy, parse_policy

from .models import ScriptVersion

POLICIES_DIR = SCRIPTS_DIR.parent / "policies"
POLICY_NAME = "default"  # the policy of every queue without one of its own ("tier2")

PARSERS: dict[str, Callable[[str, str], Any]] = {"script": parse, "policy": parse_policy}


def shipped(kind: str) -> dict[str, Path]:
    """The shipped files of a kind, by name."""
    if kind == "script":
        return shipped_scripts()
    return {p.stem: p for p in sorted(POLICIES_DIR.glob("*.yaml"))}


def publish(session: Session, name: str, text: str, author: str = "system",
            kind: str = "script") -> ScriptVersion:
    """Validate and store a new version (raises ScriptError naming what is wrong)."""
    PARSERS[kind](text, f"{name}.yaml")
    latest = session.scalar(
        select(func.max(ScriptVersion.version)).where(ScriptVersion.kind == kind,
                                                      ScriptVersion.name == name)
    )
    version = ScriptVersion(kind=kind, name=name, version=(latest or 0) + 1, text=text,
                            author=author)
    session.add(version)
    session.flush()
    return version


def find(session: Session, name: str, kind: str = "script") -> ScriptVersion | None:
    """The live version; the shipped file is published the first time; None if neither."""
    query = (select(ScriptVersion)
             .where(ScriptVersion.kind == kind, ScriptVersion.name == name)
             .order_by(ScriptVersion.version.desc())
             .limit(1))
    version = session.scalar(query)
    if version is None and name in shipped(kind):
        path = shipped(kind)[name]
        text = path.read_text(encoding="utf-8")
        autocommit = session.connection().get_execution_options().get(
            "isolation_level") == "AUTOCOMMIT"
        try:
            with nullcontext() if autocommit else session.begin_nested():
                version = publish(session, name, text, "shipped", kind)
        except IntegrityError:  # another worker published it first: use theirs
            if autocommit:
                session.rollback()
            version = session.scalar(query)
    return version


def current(session: Session, name: str, kind: str = "script") -> ScriptVersion:
    """The live version, publishing the shipped file if none exists yet."""
    version = find(session, name, kind)
    if version is None:
        raise LookupError(f"no {kind} named {name!r} is published or shipped")
    return version


def sync_shipped(session: Session) -> list[ScriptVersion]:
    """Publish each shipped script or policy whose file differs from its live version."""
    published = []
    for kind in PARSERS:
        for name, path in shipped(kind).items():
            text = path.read_text(encoding="utf-8")
            if current(session, name, kind).text != text:
                published.append(publish(session, name, text, "shipped", kind))
    return published


_PARSED: dict[str, Any] = {}
_PARSED_MAX = 256


def digest(version: ScriptVersion) -> str:
    """What identifies a version's content in any database (ids repeat across databases)."""
    return hashlib.sha256(f"{version.kind}\0{version.name}\0{version.text}".encode()).hexdigest()


def script_of(version: ScriptVersion) -> Any:
    """The parsed script or policy of a version (versions never change: parsed once)."""
    return _parse_cached(digest(version), version)


def _parse_cached(key: str, version: ScriptVersion) -> Any:
    parsed = _PARSED.get(key)
    if parsed is None:
        parsed = PARSERS[version.kind](version.text, f"{version.name}.yaml")
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = parsed
    return parsed


def script_for_call(session: Session, version_id: int, key: str | None) -> Any:
    """The parsed version a call runs, found by its digest; the text is read only on a miss."""
    parsed = _PARSED.get(key) if key else None
    if parsed is not None:
        return parsed
    version = session.get(ScriptVersion, version_id)
    if version is None:
        raise LookupError(f"no script version {version_id}")
    return script_of(version)


def live_policy(session: Session, tier: int | None = None) -> HoldPolicy:
    """The live hold policy of a tier's queue ('tier2'), or the default one."""
    version = find(session, f"tier{tier}", kind="policy") if tier else None
    return script_of(version or current(session, POLICY_NAME, kind="policy"))


@functools.cache
def shipped_messages() -> dict[str, dict[str, str]]:
    """The shipped default policy's messages: the wording of a message added since a live
    policy was published."""
    path = shipped("policy")[POLICY_NAME]
    return parse_policy(path.read_text(encoding="utf-8"), path.name).messages
