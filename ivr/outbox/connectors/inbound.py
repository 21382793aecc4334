"""What the ticket systems send back, by their signed webhooks: verified each by its system's
documented scheme (the digest computed by ``hmac``, compared with ``hmac.compare_digest``),
read into what happened to which of their tickets, and applied to ours in one transaction.
Nothing here calls a system: a webhook is answered from our database alone.

- Zammad (a trigger's webhook): ``X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>``.
- GLPI (10's webhooks, `src/Webhook.php`): ``X-GLPI-signature: <hex HMAC-SHA256 of body +
  X-GLPI-timestamp>``, signed when the change happens and sent later from GLPI's queue.
- Jira (an admin webhook with a secret): ``X-Hub-Signature: sha256=<hex HMAC-SHA256>``.

A ticket resolved there is resolved here, which books our closure call and survey; a public
reply there is a public note here, the one the next status call reads to the caller.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from tickets import links, workflow
from tickets.models import Ticket, TicketEvent
from tickets.statuses import TicketStatus

from .planner import actor_of
from .settings import AnyConnector

# GLPI signs a webhook when the change happens (its timestamp is in the signed text) and
# queues it; its cron sends it, and again after a failure. A genuine delivery may be hours old,
# so only a signature older than QUEUED_FOR (a replay) or from the future is refused; a replay
# within it would only apply again what was applied once, which changes nothing.
QUEUED_FOR = 2 * 24 * 3600  # s
CLOCK_SKEW = 300  # s
FINAL = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


class Forged(Exception):
    """The request is not signed by the system with the connector's secret."""


@dataclass(frozen=True)
class Inbound:
    """One thing a system says of one of its tickets."""

    key: str
    status: str | None = None  # their status, as the mapping's status_in names it
    reply: str | None = None  # a reply the customer may hear


def verify(connector: AnyConnector, body: bytes, headers: Mapping[str, str],
           wall_clock: float) -> None:
    """Raise ``Forged`` unless the system signed this body with the connector's secret
    (``headers``: their names in lower case)."""
    secret = connector.webhook_secret.encode()
    if not secret:
        raise Forged("no webhook secret is configured for this connector")
    if connector.kind == "zammad":
        given = headers.get("x-hub-signature", "")
        expected = "sha1=" + hmac.new(secret, body, hashlib.sha1).hexdigest()
    elif connector.kind == "jira":
        given = headers.get("x-hub-signature", "")
        expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    else:
        given = headers.get("x-glpi-signature", "")
        stamp = headers.get("x-glpi-timestamp", "")
        if not stamp.isdigit() or not -CLOCK_SKEW <= wall_clock - int(stamp) <= QUEUED_FOR:
            raise Forged("X-GLPI-timestamp is missing, in the future or more than 2 days old")
        expected = hmac.new(secret, body + stamp.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), given.strip().encode()):
        raise Forged("the signature does not match")


def read(connector: AnyConnector, data: Any) -> list[Inbound]:
    """What the webhook's JSON says (nothing we follow: an empty list)."""
    if not isinstance(data, dict):
        return []
    reader = {"zammad": _zammad, "glpi": _glpi, "jira": _jira}[connector.kind]
    return [i for i in reader(data) if i.key]


def _text(value: Any) -> str | None:
    """A reply as plain text (GLPI and Zammad may send HTML)."""
    text = Markup(str(value or "")).striptags().strip()
    return text or None


def _zammad(data: dict[str, Any]) -> list[Inbound]:
    ticket = data.get("ticket") or {}
    article = data.get("article") or {}
    public = article and not article.get("internal") and article.get("sender") == "Agent"
    return [Inbound(str(ticket.get("id") or ""), ticket.get("state"),
                    _text(article.get("body")) if public else None)]


def _glpi(data: dict[str, Any]) -> list[Inbound]:
    item = data.get("item") or {}
    if data.get("itemtype") == "ITILFollowup" and item.get("itemtype") == "Ticket":
        public = str(item.get("is_private")) in ("0", "False", "false")
        return [Inbound(str(item.get("items_id") or ""),
                        reply=_text(item.get("content")) if public else None)]
    if data.get("itemtype", "Ticket") == "Ticket" and item.get("status") is not None:
        return [Inbound(str(item.get("id") or ""), str(item["status"]))]
    return []


def _jira(data: dict[str, Any]) -> list[Inbound]:
    issue = data.get("issue") or {}
    key = str(issue.get("key") or "")
    if data.get("webhookEvent") == "comment_created":
        comment = data.get("comment") or {}
        return [Inbound(key, reply=_text(comment.get("body")) if comment.get("jsdPublic")
                        else None)]
    status = ((issue.get("fields") or {}).get("status") or {}).get("name")
    return [Inbound(key, status)]


def apply(session: Session, connector: AnyConnector, said: Inbound, now: datetime) -> str:
    """Our ticket follows theirs; returns what was done (for the answer and the log)."""
    ticket = links.find(session, connector.name, said.key)
    if ticket is None:
        return "not a ticket of the line"
    actor = actor_of(connector.name)
    ours = connector.mapping.status_in.get(said.status) if said.status is not None else None
    reply = said.reply if said.reply and not _stored(session, ticket, actor, said.reply) \
        and not _ours(session, ticket, said.reply) else None
    if ours in FINAL and ticket.is_open:
        booked = workflow.resolve_ticket(session, ticket, actor=actor, now=now, status=ours,
                                         note=reply or f"Resolved in {connector.name}")
        return "resolved; closure call booked" if booked else "resolved"
    done = []
    if reply:
        workflow.add_note(session, ticket, reply, actor=actor, now=now, public=True)
        done.append("reply kept")
    if ours and ours != ticket.status:
        workflow.change_status(session, ticket, ours, actor=actor, now=now,
                               reason=f"in {connector.name}")
        done.append(f"status {ours}")
    return ", ".join(done) or "nothing to change"


def _ours(session: Session, ticket: Ticket, text: str) -> bool:
    """Is this our own public note coming back (the planner sent it as "Note by ...")?"""
    notes = session.execute(select(TicketEvent.actor, TicketEvent.text).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "note",
        TicketEvent.public.is_(True))).all()
    return any(f"Note by {actor}: {said}" == text for actor, said in notes)


def _stored(session: Session, ticket: Ticket, actor: str, text: str) -> bool:
    """Was this reply kept already (the system sent its webhook again)?"""
    return session.scalar(select(TicketEvent.id).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.actor == actor,
        TicketEvent.text == text).limit(1)) is not None
