"""The spool: webhooks that carry data (a voicemail, a recording, a status callback) that came
while the database was down, kept as files on local disk until they can be replayed into it.

Each request is one file named by its request key (``replies.request_key``), so Twilio
repeating a request while the database is down keeps one file; written to a temporary name,
synced and renamed, so a crash leaves the whole request or nothing. The files hold what Twilio
sent (numbers, recording URLs): they are readable by this service's user only. Replaying them
is ``ivr.voice.webhook.replay_spool``: exactly once, because the replay goes through the same
kept answers as a live request.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

SUFFIX = ".json"
FAILED = "failed"  # replays that failed for another reason than the database: kept for a person


@dataclass(frozen=True)
class Spooled:
    """One webhook request kept in the spool."""

    file: Path
    key: str
    endpoint: str  # the Flask endpoint that serves it
    path: str  # the path and query Twilio requested
    form: list[tuple[str, str]]  # Twilio's parameters, repeated names kept
    received: datetime


def keep(folder: str | Path, key: str, endpoint: str, path: str,
         form: Iterable[tuple[str, str]], received: datetime) -> Path:
    """Write the request to the spool (once: a repeat of a spooled request changes nothing)."""
    folder = Path(folder)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = folder / f"{key}{SUFFIX}"
    if target.exists():
        return target
    temporary = folder / f".{key}.{os.getpid()}.tmp"
    data = {"key": key, "endpoint": endpoint, "path": path, "form": [list(kv) for kv in form],
            "received": received.isoformat()}
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)
    return target


def waiting(folder: str | Path) -> Iterator[Spooled]:
    """The spooled requests, oldest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    items = []
    for file in folder.glob(f"*{SUFFIX}"):
        data = json.loads(file.read_text(encoding="utf-8"))
        items.append(Spooled(file, data["key"], data["endpoint"], data["path"],
                             [(k, v) for k, v in data["form"]],
                             datetime.fromisoformat(data["received"])))
    yield from sorted(items, key=lambda item: (item.received, item.file.name))


def done(item: Spooled) -> None:
    """The request is in the database: drop its file."""
    item.file.unlink(missing_ok=True)


def set_aside(item: Spooled) -> Path:
    """A replay that failed for another reason than the database: kept apart for a person."""
    failed = item.file.parent / FAILED
    failed.mkdir(mode=0o700, exist_ok=True)
    target = failed / item.file.name
    os.replace(item.file, target)
    return target
