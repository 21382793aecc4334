"""The outbox's ``connector`` channel: one message, one call to a ticket system.

``prepare`` (as the row is claimed) finds the ticket's key in that system; a follow-up whose
ticket is still being made there waits for it, and one whose ticket never was is refused.
``send`` runs outside any transaction; ``settle`` (as the delivery is recorded) keeps the key
and link of a ticket just made there, on our ticket and its timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from tickets import links
from tickets.outbox import MessageStatus, OutboxMessage, Topic
from tickets.timeline import record_event

from ..deliverer import Parcel, Sent
from . import glpi, jira, zammad
from .http import Refused
from .settings import AnyConnector

CLIENTS: dict[str, Any] = {"zammad": zammad, "glpi": glpi, "jira": jira}
CTI_TOPICS = (Topic.CALL_STARTED, Topic.CALL_ANSWERED, Topic.CALL_ENDED)
NAMES = {"zammad": zammad.SYSTEM, "glpi": glpi.SYSTEM, "jira": jira.SYSTEM}


def _earlier_cti(session: Session, row: OutboxMessage) -> bool:
    """Is an earlier event of the same call still on its way there (Zammad wants them in
    order: newCall, answer, hangup)?"""
    waiting = session.scalars(select(OutboxMessage.payload).where(
        OutboxMessage.channel == "connector", OutboxMessage.target == row.target,
        OutboxMessage.topic.in_(CTI_TOPICS), OutboxMessage.id < row.id,
        OutboxMessage.status.in_((MessageStatus.PENDING, MessageStatus.SENDING))))
    return any(p.get("callId") == row.payload.get("callId") for p in waiting)


class Connectors(Protocol):
    """The integrations file's connectors (``settings.Integrations``)."""

    def connector(self, name: str) -> AnyConnector | None: ...


class ConnectorChannel:
    """Sends connector messages to the configured ticket systems."""

    def __init__(self, integrations: Connectors,
                 http: Callable[[], requests.Session] = requests.Session):
        self.integrations = integrations
        self.http = http

    def prepare(self, session: Session, row: OutboxMessage) -> dict[str, Any] | None:
        op = row.payload.get("op")
        if op == "cti":
            return None if _earlier_cti(session, row) else {}
        if op == "create" or row.ticket_id is None:
            return {}
        link = links.link_of(session, row.ticket_id, row.target)
        if link is not None:
            return {"key": link.key}
        making = session.scalar(select(OutboxMessage.id).where(
            OutboxMessage.ticket_id == row.ticket_id, OutboxMessage.channel == "connector",
            OutboxMessage.target == row.target, OutboxMessage.topic == Topic.TICKET_OPENED,
            OutboxMessage.status.in_((MessageStatus.PENDING, MessageStatus.SENDING))))
        return None if making else {"key": None}

    def send(self, parcel: Parcel) -> Sent:
        settings = self.integrations.connector(parcel.target)
        if settings is None:
            return Sent(parcel, False, f"no connector named {parcel.target!r} is configured now")
        client = CLIENTS[settings.kind]
        op = str(parcel.payload.get("op"))
        try:
            with self.http() as http:
                if op == "create":
                    made = client.create(http, settings, parcel.payload)
                    return Sent(parcel, True, detail={"key": made.key, "url": made.url})
                if op == "cti":
                    client.cti(http, settings, parcel.payload)
                    return Sent(parcel, True)
                key = parcel.context.get("key")
                if not key:
                    return Sent(parcel, False, f"the ticket was never made in "
                                f"{NAMES[settings.kind]} (see its first message)")
                getattr(client, op)(http, settings, key, parcel.payload)
                return Sent(parcel, True)
        except Refused as refused:
            return Sent(parcel, False, refused.why, transient=refused.transient,
                        code=refused.code)

    def settle(self, session: Session, row: OutboxMessage, sent: Sent, now: datetime) -> None:
        if row.payload.get("op") != "create" or not sent.detail or row.ticket_id is None:
            return
        settings = self.integrations.connector(row.target)
        system = NAMES[settings.kind] if settings else row.target
        links.keep(session, row.ticket_id, row.target, sent.detail["key"],
                   sent.detail.get("url"), now)
        record_event(session, "connector", f"Filed in {system} ({row.target}) as "
                     f"{sent.detail['key']}", ticket_id=row.ticket_id, at=now,
                     data={"connector": row.target, "key": sent.detail["key"],
                           "url": sent.detail.get("url")})
