"""The outbox's deliverer: fan events out into messages, claim due messages under a lease,
send each through its channel, record what happened. The outbound dispatcher's pattern
(``ivr.outbound.dispatcher``): the claim is committed before anything leaves, the send happens
outside any transaction, the outcome is recorded under the row's lock; retries back off
(``rules.backoff_seconds``); rows are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
so several schedulers share the work and each message goes once.

A message whose lease ran out (its deliverer died mid-send) is claimed again and its channel
asked to recover it: an SMS Twilio did take is found, not sent twice; a webhook goes again
with the same ``webhook-id``, which Standard Webhooks receivers use to drop repeats.

A target that keeps failing only delays its own rows: each row backs off on its own, and one
pass takes at most ``per_target`` rows of a target.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from tickets import outbox
from tickets.outbox import MessageStatus, OutboxEvent, OutboxMessage
from tickets.phones import mask_phone
from tickets.timeline import record_event

from ..outbound.batches import BatchWorker
from ..outbound.rules import backoff_seconds

log = logging.getLogger(__name__)

RETRY_BASE = 30.0  # s: 30, 60, 120... between tries of one message
RETRY_CAP = 3600.0


@dataclass(frozen=True)
class Parcel:
    """A leased message, as its channel sees it."""

    id: int
    channel: str
    target: str
    topic: str
    payload: dict[str, Any]
    attempt: int
    recovering_since: datetime | None  # an earlier try may have got through after this
    context: dict[str, Any] = field(default_factory=dict)  # what the channel's prepare read


@dataclass(frozen=True)
class Sent:
    """What became of one try."""

    parcel: Parcel
    ok: bool
    error: str | None = None
    transient: bool = False  # worth another try later (a timeout, a 5xx, a 429)
    code: int | None = None
    external_id: str | None = None
    detail: dict[str, Any] | None = None  # for the channel's settle (a key made there)


class Channel(Protocol):
    """Sends a parcel. A channel may also have ``prepare(session, row)``, run as the row is
    claimed (a dict for the parcel's context, or None: not yet, the row waits ``WAIT``), and
    ``settle(session, row, sent, now)``, run as a delivery is recorded."""

    def send(self, parcel: Parcel) -> Sent: ...


WAIT = timedelta(seconds=30)  # a row its channel is not ready for is looked at again then


FanOut = Callable[[Session, OutboxEvent, datetime], None]
# Told of each message's new status after a try (its sender's own follow-up, if any).
Settled = Callable[[Session, OutboxMessage, datetime], None]


class Deliverer(BatchWorker):
    """Sends due outbox messages. One ``tick`` fans out new events, claims a batch of
    messages, sends it and records the results."""

    thread_prefix = "outbox"

    def __init__(self, sessions: Callable[[], Session], channels: dict[str, Channel],
                 fan_out: FanOut, owner: str, clock: Callable[[], datetime], batch: int = 50,
                 per_target: int = 10, concurrency: int = 4, lease_seconds: int = 120,
                 settled: Settled | None = None):
        self.sessions = sessions
        self.channels = channels
        self.fan_out = fan_out
        self.owner = owner
        self.clock = clock
        self.batch = batch
        self.per_target = per_target
        self.concurrency = concurrency
        self.lease = timedelta(seconds=lease_seconds)
        self.settled = settled or (lambda session, message, now: None)
        self._lock = threading.Lock()

    def tick(self) -> int:
        """One pass; returns how many messages it sent or settled."""
        now = self.clock()
        with self.sessions() as session:
            self.fan_out_events(session, now)
            session.commit()
        with self.sessions() as session:
            parcels, settled = self.claim(session, now)
            session.commit()
        if not parcels:
            return settled
        results = self.send_all(parcels, self.send)
        with self.sessions() as session:
            session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(
                [p.id for p in parcels])).with_for_update()).all()  # lock and load the batch
            for result in results:
                self.record(session, result, self.clock())
            session.commit()
        return settled + len(parcels)

    # ---- fanning out ------------------------------------------------------------------------

    def fan_out_events(self, session: Session, now: datetime) -> int:
        """Turn new events into their messages (each event once: the row is locked)."""
        query = (select(OutboxEvent).where(OutboxEvent.fanned_out_at.is_(None))
                 .order_by(OutboxEvent.id).limit(self.batch))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        events = session.scalars(query).all()
        for event in events:
            try:
                with session.begin_nested():  # one event's failure spoils no other's
                    self.fan_out(session, event, now)
            except Exception:  # noqa: BLE001  a bad event must not stop the outbox for good
                log.exception("outbox event %s (%s): its messages could not be made; "
                              "it is dropped", event.id, event.topic)
                if event.ticket_id:
                    record_event(session, "outbox_failed", f"Nothing sent for {event.topic}: "
                                 "its messages could not be made (see the scheduler's log)",
                                 ticket_id=event.ticket_id, at=now,
                                 data={"outbox_event_id": event.id})
            event.fanned_out_at = now
        session.flush()
        return len(events)

    # ---- claiming ---------------------------------------------------------------------------

    def claim(self, session: Session, now: datetime) -> tuple[list[Parcel], int]:
        """Lease due messages nobody else holds (at most ``per_target`` of a target); a
        message an earlier try turned out to have delivered is settled on the spot."""
        due = or_(and_(OutboxMessage.status == MessageStatus.PENDING,
                       OutboxMessage.due_at <= now),
                  and_(OutboxMessage.status == MessageStatus.SENDING,
                       OutboxMessage.lease_expires < now))
        query = (select(OutboxMessage).where(due)
                 .order_by(OutboxMessage.due_at, OutboxMessage.id).limit(self.batch))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        parcels: list[Parcel] = []
        settled = 0
        taken: Counter[tuple[str, str]] = Counter()
        for row in session.scalars(query).all():
            if row.external_id:  # Twilio's status callback told of it after a failed try
                outbox.delivered(session, row, now)
                self.settled(session, row, now)
                settled += 1
                continue
            if taken[(row.channel, row.target)] >= self.per_target:
                continue
            prepare = getattr(self.channels.get(row.channel), "prepare", None)
            context = prepare(session, row) if prepare else {}
            if context is None:  # it waits on another row (a ticket not yet made there)
                row.due_at = now + WAIT
                continue
            taken[(row.channel, row.target)] += 1
            expired = row.status == MessageStatus.SENDING
            recovering = row.sent_at if expired or row.attempts else None
            outbox.lease(row, self.owner, now, now + self.lease)
            parcels.append(Parcel(row.id, row.channel, row.target, row.topic,
                                  dict(row.payload), row.attempts, recovering, context))
        return parcels, settled

    # ---- sending ----------------------------------------------------------------------------

    def send(self, parcel: Parcel) -> Sent:
        channel = self.channels.get(parcel.channel)
        if channel is None:
            return Sent(parcel, False, f"no {parcel.channel} channel is configured")
        try:
            return channel.send(parcel)
        except Exception as exc:  # noqa: BLE001  a bug in a channel must not lose the row
            log.exception("outbox message %s: the %s channel failed", parcel.id, parcel.channel)
            return Sent(parcel, False, f"{exc.__class__.__name__}", transient=True)

    # ---- recording --------------------------------------------------------------------------

    def record(self, session: Session, sent: Sent, now: datetime) -> None:
        row = session.get(OutboxMessage, sent.parcel.id)
        if row is None or row.status != MessageStatus.SENDING or row.lease_owner != self.owner:
            return  # settled meanwhile (a status callback), or the lease went to another
        if sent.ok:
            outbox.delivered(session, row, now, sent.code, sent.external_id)
            settle = getattr(self.channels.get(row.channel), "settle", None)
            if settle is not None:
                settle(session, row, sent, now)
            self.settled(session, row, now)
            log.info("outbox message %s (%s to %s) delivered", row.id, row.topic, _to(row))
            return
        retry_at = None
        if sent.transient and row.attempts < row.max_attempts:
            retry_at = now + timedelta(seconds=backoff_seconds(row.attempts, RETRY_BASE,
                                                               RETRY_CAP))
        outbox.failed(session, row, now, sent.error or "failed", retry_at, sent.code)
        self.settled(session, row, now)
        log.warning("outbox message %s (%s to %s) failed: %s; %s", row.id, row.topic,
                    _to(row), sent.error,
                    f"next try at {retry_at.isoformat()}" if retry_at else "given up")


def _to(row: OutboxMessage) -> str:
    """The message's target fit for the logs (an SMS's number masked)."""
    return mask_phone(row.target) if row.channel == "sms" else row.target
