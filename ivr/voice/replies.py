"""Every Twilio webhook idempotent by (CallSid, step or attempt): the answer to a request is
kept with the transaction that applied it, and a repeat of that request (Twilio retries, a
double post, a late duplicate of an earlier turn) is answered with it, applying nothing again.

A request is named by a digest (no caller data is stored in clear): the CallSid, the URL
Twilio fetched (the path and query, which name the step or attempt: ``?t=3``, ``?e=7&s=1``,
``?oc=4&a=2``) and, where one URL is fetched more than once by a call for different things
(a status callback, a queue's action), Twilio's parameters too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm import Session

from tickets.models import WebhookReply

KEEP = timedelta(days=2)  # Twilio's retries and duplicates come within minutes


class Replay(StrEnum):
    """What makes two requests to a webhook the same request."""

    URL = "url"  # CallSid + URL: the URL names the step (a late duplicate of turn 3 = turn 3)
    REQUEST = "request"  # CallSid + URL + every parameter Twilio sent
    NONE = "none"  # every fetch is a new pass (the hold loop's waitUrl), each safe to repeat


def request_key(how: Replay, call_sid: str, url: str,
                params: Iterable[tuple[str, str]]) -> str:
    """The digest naming one request (``how`` says which parts count; a parameter may repeat)."""
    parts: list[object] = [call_sid, url]
    if how == Replay.REQUEST:
        parts.append(sorted(params))
    return hashlib.sha256(json.dumps(parts, ensure_ascii=True).encode()).hexdigest()


# Every webhook runs both: built once, run in SQLAlchemy Core on the session's connection (not
# through the ORM's execution path and bulk INSERT, which cost more than the statements).
_EARLIER = select(WebhookReply.body).where(WebhookReply.request == bindparam("key"))
_KEEP = insert(WebhookReply).inline()  # its id is never read back (no RETURNING on PostgreSQL)


def earlier_reply(session: Session, key: str) -> str | None:
    """The TwiML already given to this request, if it was answered before."""
    return session.connection().execute(_EARLIER, {"key": key}).scalar()


def keep_reply(session: Session, key: str, body: str, now: datetime) -> None:
    """Remember the answer (in the webhook's own transaction: kept exactly when applied)."""
    session.connection().execute(_KEEP, {"request": key, "body": body, "at": now})


def forget_old_replies(session: Session, now: datetime) -> int:
    """Drop replies older than any repeat Twilio would send; returns how many."""
    result = session.execute(delete(WebhookReply).where(WebhookReply.at < now - KEEP))
    return int(getattr(result, "rowcount", 0) or 0)
