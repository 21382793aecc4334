"""The outbound dispatcher: claim due calls under a lease, check the rules, dial through Twilio.

Exactly once: a row is claimed (status ``dialing``, lease owner and expiry) and committed before
Twilio is asked; the CallSid is recorded as soon as Twilio answers. A row whose lease expired
without a CallSid (its dispatcher died), or whose request to Twilio failed (a timeout or a 5xx
may hide a call Twilio did place), is claimed again, and before dialling again the dispatcher
asks Twilio whether that call was in fact placed (queued and ringing calls too, whose StartTime
is still empty). Each result is recorded in a savepoint of its own, so one row that cannot be
written leaves the batch's others recorded. On PostgreSQL only the scheduler holding the
dialling lock (``leader``) dials, so the policy's calls per second hold for the Twilio account
however many schedulers run; rows are still claimed with ``FOR UPDATE SKIP LOCKED``. SQLite
allows one scheduler per database.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from requests import RequestException
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from tickets import bookings
from tickets.models import Customer, OutboundCall, Ticket
from tickets.phones import mask_numbers
from tickets.statuses import OutboundKind, OutboundStatus

from ..queues.agents import release_callback_agent
from . import gate, rules, tally
from .batches import BatchWorker
from .leader import DiallingLock
from .pacing import HEADROOM, RateLimiter

log = logging.getLogger(__name__)

QUERY_STRING = re.compile(r"\?[^\s'\"]*")
MAX_REST_FAILURES = 8  # Twilio API errors in a row before a call is given up
STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]


@dataclass(frozen=True)
class Claim:
    """A row this dispatcher holds the lease on and will dial."""

    id: int
    to: str
    kind: str
    attempt: int  # the attempt this dial is
    recovering_since: datetime | None  # an earlier request may have been placed after this


@dataclass(frozen=True)
class Outcome:
    claim: Claim
    sid: str | None = None
    error: str | None = None
    transient: bool = False
    adopted: bool = False  # placed by a request whose answer never came (or its dispatcher died)
    not_dialled: bool = False  # the dialling lock was lost: the lease runs out, then recovery


@dataclass
class Settings:
    """What a dispatcher needs from the app's configuration and the live policy."""

    public_base_url: str
    from_number: str
    answer_path: str = "/voice/outbound/answer"
    status_path: str = "/voice/outbound/status"
    fallback_path: str = "/voice/fallback"


def _is_transient(exc: Exception) -> bool:
    if isinstance(exc, TwilioRestException):
        return exc.status == 429 or exc.status >= 500
    return True  # timeouts, refused connections, anything short of an answer from Twilio


def _reason(exc: Exception) -> str:
    """What went wrong, fit for the timeline and the logs: no query string (a request's
    ``To=``), no phone number (Twilio's messages may quote the one it refused)."""
    if isinstance(exc, TwilioRestException):
        text = f"Twilio refused the call: {exc.msg} (HTTP {exc.status}, code {exc.code})"
    else:
        text = f"Twilio could not be reached: {exc.__class__.__name__}: {exc}"
    return mask_numbers(QUERY_STRING.sub("?...", text))


class Dispatcher(BatchWorker):
    """Places due outbound calls. One ``tick`` claims a batch, dials it, records the results."""

    thread_prefix = "dial"

    def __init__(self, sessions: Callable[[], Session], settings: Settings,
                 client_factory: Callable[[], Client], owner: str, policy: Callable[[Session], Any],
                 clock: Callable[[], datetime], batch: int = 50, concurrency: int = 8,
                 calls_per_second: float | None = None, lock: DiallingLock | None = None):
        self.sessions = sessions
        self.settings = settings
        self.client_factory = client_factory
        self.owner = owner
        self.policy = policy
        self.clock = clock
        self.batch = batch
        self.concurrency = concurrency
        self.calls_per_second = calls_per_second
        self.lock = lock  # None: this dispatcher is the only one (tests, the benchmarks)
        self._local = threading.local()
        self._limiter: RateLimiter | None = None

    def close(self) -> None:
        """Stop the dialling threads (the scheduler calls this on shutdown)."""
        super().close()
        if self.lock is not None:
            self.lock.release()

    # ---- one pass -------------------------------------------------------------------------

    def tick(self) -> int:
        """Claim and dial one batch of due calls; returns how many rows it handled (none while
        another scheduler holds the dialling lock)."""
        if self.lock is not None and not self.lock.held():
            return 0
        now = self.clock()
        with self.sessions() as session:
            pol = self.policy(session)
            claims = self.claim(session, now, pol)
            session.commit()
        if not claims:
            return 0
        rate = self.calls_per_second or pol.outbound.calls_per_second
        if self._limiter is None or self._limiter.rate != rate:
            self._limiter = RateLimiter(rate, headroom=HEADROOM)
        ring = pol.outbound.ring_timeout_seconds
        outcomes = self.send_all(claims, lambda c: self.dial(c, ring))
        with self.sessions() as session:
            session.scalars(select(OutboundCall).where(OutboundCall.id.in_(
                [c.id for c in claims])).with_for_update()).all()  # lock and load the batch
            for outcome in outcomes:
                self._record_one(session, outcome, self.clock(), pol)
            session.commit()
        return len(claims)

    def _record_one(self, session: Session, outcome: Outcome, now: datetime, pol: Any) -> None:
        """Record one outcome in a savepoint of its own: a row that cannot be written (Twilio's
        CallSid already recorded on another booking) leaves the batch's other rows recorded,
        and is itself tried again later (a failed request, backed off)."""
        try:
            with session.begin_nested():
                self.record(session, outcome, now, pol)
        except IntegrityError:
            log.error("outbound call %s: the CallSid Twilio gave is already recorded on another "
                      "booking; the call is tried again later", outcome.claim.id)
            clash = Outcome(outcome.claim, error="Twilio's CallSid for this call is already "
                            "recorded on another booking", transient=True)
            with session.begin_nested():
                self.record(session, clash, now, pol)

    # ---- claiming ---------------------------------------------------------------------------

    def claim(self, session: Session, now: datetime, pol: Any) -> list[Claim]:
        """Lock due rows nobody else holds, apply the calling rules, lease the ones to dial."""
        due = or_(
            and_(OutboundCall.status == OutboundStatus.PENDING, OutboundCall.due_at <= now,
                 # a callback holding a place in line waits for its analyst to be reserved
                 or_(OutboundCall.kind != OutboundKind.CALLBACK,
                     OutboundCall.queue_entry_id.is_(None), OutboundCall.agent_id.is_not(None))),
            and_(OutboundCall.status == OutboundStatus.DIALING, OutboundCall.lease_expires < now))
        query = (select(OutboundCall).where(due).order_by(OutboundCall.due_at, OutboundCall.id)
                 .limit(self.batch))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = session.scalars(query).all()
        claims = []
        lease = timedelta(seconds=pol.outbound.lease_seconds)
        dialled_today = gate.dialled_today(session, rows, now)
        # One call at a time to a number: nobody is rung twice at once, and a call Twilio
        # placed for a number can only be that number's call under way.
        ringing = gate.ringing(session, rows) | {r.to_number for r in rows
                                                   if r.status == OutboundStatus.DIALING}
        for row in rows:
            expired = row.status == OutboundStatus.DIALING  # its dispatcher died
            if not expired and (row.to_number in ringing or
                                not self._may_dial(session, row, now, pol, dialled_today)):
                continue
            ringing.add(row.to_number)
            # Twilio may have placed the call a dead dispatcher or a failed request (a timeout,
            # a 5xx) asked for: look for it before dialling again.
            recovering = row.placed_at if expired or row.rest_failures else None
            dialled_today[row.to_number] += 0 if gate.retry_of_today(row, now) else 1
            bookings.lease(row, self.owner, now, now + lease, pol.outbound.max_attempts,
                           pol.outbound.retry_delay_seconds)
            claims.append(Claim(row.id, row.to_number, row.kind, row.attempts + 1, recovering))
        return claims

    def _may_dial(self, session: Session, row: OutboundCall, now: datetime, pol: Any,
                  dialled_today: Counter[str]) -> bool:
        """The calling rules: ticket still needs it, destination allowed, daily cap, quiet
        hours. A row that may not be dialled now is refused, called off or moved later."""
        out = pol.outbound
        ticket = session.get(Ticket, row.ticket_id) if row.ticket_id else None
        if row.kind == OutboundKind.STATUS_UPDATE and ticket is not None and (
                not ticket.is_open or ticket.status_calls_stopped):
            why = "closed" if not ticket.is_open else "set to no status calls"
            self._close(session, row, now, OutboundStatus.CANCELED,
                        f"no longer needed: the ticket is {why}")
            return False
        refusal = rules.destination_refusal(row.to_number, out.dial_rule())
        if refusal:
            self._close(session, row, now, OutboundStatus.REFUSED, f"Not dialled: {refusal}")
            return False
        customer = session.get(Customer, ticket.customer_id) if ticket and ticket.customer_id \
            else None
        fallback = pol.hours.timezone if pol.hours else "UTC"
        zones = rules.calling_zones(now, rules.callee_zones(
            row.to_number, customer.timezone if customer else None, fallback),
            out.quiet_hours)
        if not rules.is_allowed_time(now, zones, out.quiet_hours):
            later = rules.next_allowed_time(now, zones, out.quiet_hours)
            if row.kind == OutboundKind.CALLBACK and later is not None:
                later = rules.earliest_call(later, pol.hours, zones, out.quiet_hours)
            self._defer(session, row, later or now + timedelta(hours=1),
                        f"outside the callee's calling hours ({zones[0].key} local time)")
            return False
        if row.kind == OutboundKind.CALLBACK and not pol.is_within_hours(now):
            # a callback puts the callee through to an analyst: only while the desk is open
            self._defer(session, row, rules.earliest_call(now, pol.hours, zones,
                                                          out.quiet_hours),
                        "the help desk is closed")
            return False
        if not gate.retry_of_today(row, now) and \
                dialled_today[row.to_number] >= out.max_calls_per_number_per_day:
            self._defer(session, row, now + timedelta(days=1), "the daily limit of "
                        f"{out.max_calls_per_number_per_day} calls to this number is reached")
            return False
        return True

    def _close(self, session: Session, row: OutboundCall, now: datetime,
               status: OutboundStatus, why: str) -> None:
        bookings.close(session, row, now, status, why)
        _count(session, row, tally.Outcome(status))
        if row.kind == OutboundKind.CALLBACK:
            release_callback_agent(session, row, now)

    def _defer(self, session: Session, row: OutboundCall, until: datetime, why: str) -> None:
        bookings.defer(session, row, until, why)
        _count(session, row, tally.Outcome.DEFERRED)
        if row.kind == OutboundKind.CALLBACK:
            release_callback_agent(session, row, until)

    # ---- dialling ---------------------------------------------------------------------------

    def _client(self) -> Client:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self.client_factory()
            # twilio-python imports and builds its API objects on first use: done here, before
            # a call's turn comes, not between the turn and the request (it would bunch them).
            _ = client.calls
        return client

    def dial(self, claim: Claim, ring_timeout: int) -> Outcome:
        """Ask Twilio to place one call (or find the one a dead dispatcher placed)."""
        s = self.settings
        client = self._client()
        try:
            if claim.recovering_since is not None:
                sid = self._placed_before(client, claim)
                if sid:
                    return Outcome(claim, sid=sid, adopted=True)
            assert self._limiter is not None
            self._limiter.wait()
            if self.lock is not None and not self.lock.held():
                return Outcome(claim, not_dialled=True)
            which = f"oc={claim.id}&a={claim.attempt}"  # the booking and its attempt
            call = client.calls.create(
                to=claim.to, from_=s.from_number,
                url=f"{s.public_base_url}{s.answer_path}?{which}", method="POST",
                fallback_url=f"{s.public_base_url}{s.fallback_path}",
                status_callback=f"{s.public_base_url}{s.status_path}?{which}",
                status_callback_event=STATUS_EVENTS, status_callback_method="POST",
                machine_detection="DetectMessageEnd", timeout=ring_timeout)
            return Outcome(claim, sid=call.sid)
        except (TwilioException, RequestException) as exc:
            return Outcome(claim, error=_reason(exc), transient=_is_transient(exc))

    def _placed_before(self, client: Client, claim: Claim) -> str | None:
        """The CallSid of a call from the line to this number placed since the claim that may
        have dialled it. Twilio leaves a call's StartTime empty until it starts, so a call still
        queued (or ringing) is looked up by its status, a started one by its start date; asked
        in the order a call moves through them, a call moving on meanwhile is not missed."""
        since = claim.recovering_since
        assert since is not None
        lookups: list[dict[str, Any]] = [
            {"status": "queued"}, {"status": "ringing"},
            {"start_time_after": since - timedelta(days=1)}]
        for lookup in lookups:
            for call in client.calls.list(to=claim.to, from_=self.settings.from_number,
                                          limit=20, **lookup):
                created = call.date_created
                if created and created >= since - timedelta(seconds=5):
                    return call.sid
        return None

    # ---- recording --------------------------------------------------------------------------

    def record(self, session: Session, outcome: Outcome, now: datetime, pol: Any) -> None:
        claim = outcome.claim
        row = session.get(OutboundCall, claim.id)
        if row is None or outcome.not_dialled:
            return
        if outcome.sid and row.twilio_sid == outcome.sid:
            return  # Twilio's webhook of this call came first and recorded it
        if row.status != OutboundStatus.DIALING:  # the call's webhooks came first, settled it
            if outcome.sid and row.twilio_sid:
                log.error("outbound call %s already has CallSid %s; Twilio placed %s too",
                          row.id, row.twilio_sid, outcome.sid)
            return
        if outcome.sid:
            how = " (found placed after an interrupted request)" if outcome.adopted else ""
            bookings.placed(session, row, outcome.sid, claim.attempt, now, how)
            _count(session, row, tally.Outcome.ADOPTED if outcome.adopted else tally.Outcome.PLACED)
            return
        if row.kind == OutboundKind.CALLBACK:  # the analyst is not kept waiting on Twilio
            release_callback_agent(session, row, now)
        retry_at = None
        if outcome.transient and row.rest_failures + 1 < MAX_REST_FAILURES:
            retry_at = now + timedelta(seconds=rules.backoff_seconds(row.rest_failures + 1))
        bookings.dial_failed(session, row, outcome.error, retry_at, now)
        _count(session, row, tally.Outcome.RETRIED if retry_at else tally.Outcome.FAILED)


def _count(session: Session, row: OutboundCall, outcome: tally.Outcome) -> None:
    tally.add(session, Counter({(row.kind, outcome.value): 1}))
