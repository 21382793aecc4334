"""Published versions of call scripts and hold policies: a call keeps the version it started
with, and publishing never edits a version, it adds one. The live hold policy is read here."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import bindparam, func, literal, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from call_scripts import parse, shipped_scripts
from call_scripts.loader import SCRIPTS_DIR
from call_scripts.policy import HoldPolicy, parse_policy

from .models import MAX_TIER, ScriptVersion

POLICIES_DIR = SCRIPTS_DIR.parent / "policies"
POLICY_NAME = "default"  # the policy of every queue without one of its own ("tier2")

# (text, source, check_words=True): the glossary is held to on check and publish, not when a
# version already published is read for a call.
PARSERS: dict[str, Callable[..., Any]] = {"script": parse, "policy": parse_policy}


@cache
def shipped(kind: str) -> dict[str, Path]:
    """The shipped files of a kind, by name (the package's files: read once per process)."""
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
    session.info.pop(_MEMO, None)  # this transaction's live versions change
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


def sync_shipped(session: Session,
                 variants: dict[tuple[str, str], str] | None = None) -> list[ScriptVersion]:
    """Publish each shipped script or policy whose file differs from its live version.

    variants: (kind, name) -> a text that counts as the shipped one (the demo's own policy)."""
    published = []
    for kind in PARSERS:
        for name, path in shipped(kind).items():
            text = path.read_text(encoding="utf-8")
            live = current(session, name, kind).text
            if live not in (text, (variants or {}).get((kind, name))):
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
        parsed = PARSERS[version.kind](version.text, f"{version.name}.yaml", check_words=False)
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


# ---- the live version, cached per process --------------------------------------------------
#
# A call's start, a queue arrival and every hold fetch need the live script or policy. Versions
# are never edited, so each is loaded and parsed once per process, keyed by its database (the
# engine: ids repeat across databases) and its row; the freshness check is one query of the
# newest version's id (no 28 KB text), made once per transaction.

@dataclass(frozen=True)
class Live:
    """The live version of a script or policy: its row's id, content digest and parse."""

    id: int
    digest: str
    parsed: Any


_LOADED: WeakKeyDictionary[Any, dict[tuple[int, datetime], tuple[str, Any]]] = \
    WeakKeyDictionary()
_MEMO = "tickets.versions.live"  # session.info: this transaction's answers


@functools.cache
def _policies() -> list[tuple[str, str]]:
    """Every hold policy a webhook may read: the default and each tier queue's own."""
    return [("policy", POLICY_NAME)] + [("policy", f"tier{tier}")
                                        for tier in range(1, MAX_TIER + 1)]


@functools.cache
def _newest(pairs: int) -> Any:
    """The newest version's id and time of each of ``pairs`` (kind, name) pairs, bound as
    kind0/name0, kind1/name1...: one row per pair that has a version, tagged with the pair's
    place (each an index seek on the unique (kind, name, version))."""
    members = [select(literal(i).label("pair"), ScriptVersion.id, ScriptVersion.created_at)
               .where(ScriptVersion.kind == bindparam(f"kind{i}"),
                      ScriptVersion.name == bindparam(f"name{i}"))
               .order_by(ScriptVersion.version.desc()).limit(1).subquery()
               for i in range(pairs)]
    if pairs == 1:
        return select(*members[0].c)
    return union_all(*(select(*member.c) for member in members))


def live(session: Session, name: str, kind: str = "script") -> Live | None:
    """The live version (the shipped file is published the first time); None if neither.

    The first lookup of a transaction also finds which versions of the hold policies are the
    newest (the default one and each tier's own), in the same statement: a call's start reads
    the intake script and the default policy, and a hold webhook the default policy and its
    queue's. A version is loaded (parsed) only when it is asked for."""
    memo: tuple[Any, dict[tuple[str, str], tuple[int, datetime] | None]] | None = \
        session.info.get(_MEMO)
    transaction = session.get_transaction()
    if memo is None or transaction is None or memo[0] is not transaction:
        wanted = [(kind, name)] + [pair for pair in _policies() if pair != (kind, name)]
    elif (kind, name) in memo[1]:
        return _live(session, name, kind, memo[1][(kind, name)])[1]
    else:
        wanted = [(kind, name)]
    values = {f"{field}{i}": value for i, pair in enumerate(wanted)
              for field, value in zip(("kind", "name"), pair, strict=True)}
    rows = {row[0]: (row[1], row[2]) for row in session.execute(_newest(len(wanted)), values)}
    newest, found = _live(session, name, kind, rows.get(0))
    transaction = session.get_transaction()
    if memo is None or memo[0] is not transaction:
        memo = (transaction, {})
        session.info[_MEMO] = memo
    memo[1].update({pair: rows.get(i) for i, pair in enumerate(wanted)})
    memo[1][(kind, name)] = newest
    return found


def _live(session: Session, name: str, kind: str, newest: tuple[int, datetime] | None
          ) -> tuple[tuple[int, datetime] | None, Live | None]:
    """The version whose row is ``newest``; with none, the shipped file's (published now)."""
    if newest is None and name in shipped(kind):
        version = find(session, name, kind)
        newest = (version.id, version.created_at) if version is not None else None
    return newest, _loaded(session, *newest) if newest is not None else None


def of_row(version: ScriptVersion) -> Live:
    """A version given by its row (an admin's draft trial) as ``live`` gives the live one."""
    return Live(version.id, digest(version), script_of(version))


def live_script(session: Session, name: str, kind: str = "script") -> Live:
    """The live version, publishing the shipped file if none exists yet (LookupError: none)."""
    found = live(session, name, kind)
    if found is None:
        raise LookupError(f"no {kind} named {name!r} is published or shipped")
    return found


def _loaded(session: Session, version_id: int, created_at: datetime) -> Live:
    key = (version_id, created_at)
    bind = session.get_bind()
    loaded = _LOADED.get(bind)
    if loaded is None:
        loaded = _LOADED[bind] = {}
    hit = loaded.get(key)
    if hit is None:
        version = session.get(ScriptVersion, version_id)
        if version is None:
            raise LookupError(f"no script version {version_id}")
        hit = (digest(version), script_of(version))
        if len(loaded) >= _PARSED_MAX:
            loaded.pop(next(iter(loaded)))
        loaded[key] = hit
    return Live(version_id, *hit)


def live_policy(session: Session, tier: int | None = None) -> HoldPolicy:
    """The live hold policy of a tier's queue ('tier2'), or the default one."""
    found = live(session, f"tier{tier}", kind="policy") if tier else None
    return (found or live_script(session, POLICY_NAME, kind="policy")).parsed


@functools.cache
def shipped_messages() -> dict[str, dict[str, str]]:
    """The shipped default policy's messages: the wording of a message added since a live
    policy was published."""
    path = shipped("policy")[POLICY_NAME]
    return parse_policy(path.read_text(encoding="utf-8"), path.name).messages
