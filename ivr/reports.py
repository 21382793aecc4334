"""Reports for the team lead: call volume, speed of answer, abandonment, service level, the
accuracy of announced waits, callbacks kept, SLA compliance, first-contact resolution and
satisfaction; by day, tier and agent; each table exportable as CSV.

Two layers. The pure layer (``calls_per_hour`` ... ``satisfaction``) turns plain rows
(``QueueVisit``, ``CallbackRow``, ``TicketRow``, ``SurveyRow``) into ``Table``s and needs no
database. The query layer (``load_*`` and ``build``) reads those rows for a date range from a
session. Days and hours are told in the time zone given (the line's opening-hours zone on the
reports page).

Definitions (what a figure means when a team lead reads it):

- A *queue visit* is a caller's ``QueueEntry`` that has ended: ``answered`` (bridged to an
  analyst and talked), ``abandoned`` (hung up while waiting; also when they later called back
  and resumed their place), ``callback`` (left the queue for a callback, including bookings
  after hours or with nobody staffed) or ``voicemail``. Visits still waiting are not counted.
- *Average speed of answer* (ASA): the mean wait of answered visits, from first joining the
  queue (kept across a resumed place) to being bridged.
- *Abandonment rate*: abandoned / (answered + abandoned). Callbacks and voicemails were
  served another way and are counted in their own columns, not as abandons (as Asterisk
  counts ``A`` and ``C`` apart from callers who leave with a key).
- *Service level*, counted as Asterisk's ``app_queue`` does (``__queues_show`` in
  apps/app_queue.c, reported as ``ServicelevelPerf`` / ``ServicelevelPerf2`` in the AMI
  ``QueueParams`` event and as ``SL:`` / ``SL2:`` by ``queue show``), with ``servicelevel``
  the threshold in seconds:

  - SL  = 100 * callscompletedinsl / callscompleted: of the answered calls, the share
    answered within the threshold;
  - SL2 = 100 * (callsabandonedinsl + callscompletedinsl) / (callsabandoned +
    callscompleted): calls answered *or abandoned* within the threshold, over all answered
    and abandoned calls, so that callers who hang up quickly do not count against the desk.

  "Within" means a wait of at most the threshold: Asterisk counts ``(now - qe->start) <=
  servicelevel``, from the moment the caller joined (``record_abandoned`` for abandons,
  ``try_calling`` for answered calls).
- *Wait accuracy*: for answered visits that were told an estimate, the error of the last
  estimate the caller heard against the wait that followed it (bridged minus announced at).
  Abandoned visits are left out: their real wait is unknown (they would have waited longer).
  ``within 1 min`` is the share of estimates off by at most ``tolerance`` seconds.
- *Callbacks kept*: an ``OutboundCall`` of kind ``callback`` that the line placed
  (``placed_at``) by its deadline (``window_end``, or ``due_at`` + ``grace`` for "as soon as
  possible") and that did not fail. *Missed*: failed, placed after the deadline, or not
  placed with the deadline passed. Callbacks still inside their window are ``open``;
  cancelled ones are left out.
- *SLA compliance*: per ticket opened in the range, the response target is met when the
  ticket was answered by its ``response_due`` and never marked breached
  (``response_breached_at``); breached when it was marked, answered late, or is unanswered
  past the due time; otherwise still open and not counted. The same for resolution with
  ``resolved_at`` / ``resolution_due`` / ``resolution_breached_at``.
- *First-contact resolution* (FCR): of the tickets opened by a call in the range and since
  resolved, the share resolved on the contact that opened them: never escalated, never
  reopened, and no other contact about the ticket before it was resolved (no second queue
  visit from another call, no callback or status call placed).
- *Satisfaction*: survey scores (1 to 5) given in the range; ``satisfied`` is the share of
  scores of 4 or 5.
- A ticket's *analyst* (FCR and satisfaction by analyst): the analyst who answered the
  latest answered queue visit of the ticket or of the call that opened it.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tickets.models import (
    Agent,
    Call,
    OutboundCall,
    QueueEntry,
    SurveyResponse,
    Ticket,
    TicketEvent,
)

DEFAULT_SERVICE_LEVEL = 60  # seconds, the threshold of SL and SL2
WAIT_TOLERANCE = 60  # seconds an announced wait may be off and still count as accurate
CALLBACK_GRACE = timedelta(minutes=15)  # "as soon as possible" callbacks: due + this
SATISFIED = 4  # a score at or above this is a satisfied customer

NO_AGENT = "(no analyst)"


# ---- tables ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Table:
    """One report table: a name (for its CSV file), a title, columns and rows of plain values.
    ``chart`` names the column the page draws as bars, one per row."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    chart: str | None = None
    note: str = ""

    def column(self, name: str) -> list[Any]:
        i = self.columns.index(name)
        return [row[i] for row in self.rows]

    def row_for(self, key: Any) -> dict[str, Any]:
        """The row whose first cell is ``key``, as a dict (for reading one figure)."""
        for row in self.rows:
            if row[0] == key:
                return dict(zip(self.columns, row, strict=True))
        raise KeyError(key)


def to_csv(table: Table) -> str:
    """The table as CSV text (header row first; an empty cell where a figure has no data)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow("" if v is None else v for v in row)
    return out.getvalue()


def percent(part: int, whole: int) -> float | None:
    """part/whole as a percentage with one decimal, or None when there is nothing to divide."""
    return round(100.0 * part / whole, 1) if whole else None


def mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


# ---- plain rows -----------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueVisit:
    """A caller's finished visit to a tier's queue."""

    joined_at: datetime
    tier: int
    outcome: str  # answered, abandoned, callback, voicemail
    wait: float | None  # seconds from joining to bridged (answered) or hanging up (abandoned)
    agent: str | None = None
    announced_wait: float | None = None  # the last estimate told, seconds
    announced_at: datetime | None = None

    @property
    def at(self) -> datetime:
        return self.joined_at


@dataclass(frozen=True)
class CallbackRow:
    due_at: datetime
    tier: int | None
    status: str
    placed_at: datetime | None
    window_end: datetime | None = None
    agent: str | None = None

    @property
    def at(self) -> datetime:
        return self.due_at


@dataclass(frozen=True)
class TicketRow:
    created_at: datetime
    priority: str
    tier: int
    status: str
    agent: str | None = None
    response_due: datetime | None = None
    responded_at: datetime | None = None
    response_breached_at: datetime | None = None
    resolution_due: datetime | None = None
    resolved_at: datetime | None = None
    resolution_breached_at: datetime | None = None
    opened_by_call: bool = True
    escalated: bool = False
    reopened: bool = False
    other_contacts: int = 0  # contacts about the ticket before it was resolved, besides the first

    @property
    def at(self) -> datetime:
        return self.created_at


@dataclass(frozen=True)
class SurveyRow:
    at: datetime
    score: int
    tier: int
    agent: str | None = None
    solved: bool | None = None


# ---- grouping -------------------------------------------------------------------------------

GROUPS = ("day", "tier", "agent", "priority")
HEADINGS = {"day": "day", "tier": "tier", "agent": "analyst", "priority": "priority"}


def _key(row: Any, by: str, tz: tzinfo) -> Any:
    if by == "day":
        return row.at.astimezone(tz).date().isoformat()
    if by == "agent":
        return row.agent or NO_AGENT
    value = getattr(row, by)
    return value if value is not None else "-"


def group(rows: Iterable[Any], by: str, tz: tzinfo = UTC) -> list[tuple[Any, list[Any]]]:
    """Rows grouped by day (in ``tz``), tier, agent or priority, in key order."""
    if by not in GROUPS:
        raise ValueError(f"cannot group by {by!r} (one of {', '.join(GROUPS)})")
    groups: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        groups[_key(row, by, tz)].append(row)
    return sorted(groups.items(), key=lambda kv: (str(type(kv[0])), kv[0]))


def _grouped(name: str, title: str, by: str, columns: tuple[str, ...], rows: Iterable[Any],
             figures: Callable[[list[Any]], tuple[Any, ...]], tz: tzinfo, chart: str | None,
             note: str = "") -> Table:
    body = [(key, *figures(members)) for key, members in group(rows, by, tz)]
    return Table(f"{name}-by-{by}", f"{title} by {HEADINGS[by]}", (HEADINGS[by], *columns),
                 body, chart, note)


# ---- the pure reports -----------------------------------------------------------------------

def calls_per_hour(starts: Iterable[datetime], tz: tzinfo = UTC) -> Table:
    """Inbound calls started in each hour (local to ``tz``), hours without calls left out."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for at in starts:
        local = at.astimezone(tz)
        counts[(local.date().isoformat(), f"{local.hour:02d}:00")] += 1
    rows = [(day, hour, n) for (day, hour), n in sorted(counts.items())]
    return Table("calls-per-hour", "Calls per hour", ("day", "hour", "calls"), rows, "calls")


QUEUE_COLUMNS = ("answered", "abandoned", "callbacks", "voicemails", "asa_seconds",
                 "abandonment_pct", "sl_pct", "sl2_pct")


def queue_figures(visits: Sequence[QueueVisit], threshold: float) -> tuple[Any, ...]:
    """Answered, abandoned, callbacks, voicemails, ASA, abandonment %, SL %, SL2 %."""
    answered = [v for v in visits if v.outcome == "answered"]
    abandoned = [v for v in visits if v.outcome == "abandoned"]
    answered_in = sum(1 for v in answered if (v.wait or 0) <= threshold)
    abandoned_in = sum(1 for v in abandoned if (v.wait or 0) <= threshold)
    return (len(answered), len(abandoned),
            sum(1 for v in visits if v.outcome == "callback"),
            sum(1 for v in visits if v.outcome == "voicemail"),
            mean([v.wait for v in answered if v.wait is not None]),
            percent(len(abandoned), len(answered) + len(abandoned)),
            percent(answered_in, len(answered)),
            percent(answered_in + abandoned_in, len(answered) + len(abandoned)))


def queue_performance(visits: Iterable[QueueVisit], by: str, *,
                      threshold: float = DEFAULT_SERVICE_LEVEL, tz: tzinfo = UTC) -> Table:
    """Speed of answer, abandonment and service level (SL, SL2) per group."""
    return _grouped("queue", "Queue performance", by, QUEUE_COLUMNS, visits,
                    lambda vs: queue_figures(vs, threshold), tz, "asa_seconds",
                    note=f"service level threshold {threshold:g} s")


def remaining_wait(visit: QueueVisit) -> float | None:
    """The wait that followed the last estimate the caller heard (seconds)."""
    if visit.wait is None:
        return None
    told = visit.announced_at or visit.joined_at
    return max(0.0, visit.wait - (told - visit.joined_at).total_seconds())


def accuracy_figures(visits: Sequence[QueueVisit],
                     tolerance: float = WAIT_TOLERANCE) -> tuple[Any, ...]:
    """Estimates, mean announced, mean actual, mean absolute error, mean bias, % within."""
    pairs = [(v.announced_wait, remaining_wait(v)) for v in visits
             if v.outcome == "answered" and v.announced_wait is not None
             and remaining_wait(v) is not None]
    errors = [actual - told for told, actual in pairs]
    return (len(pairs), mean([t for t, _ in pairs]), mean([a for _, a in pairs]),
            mean([abs(e) for e in errors]), mean(errors),
            percent(sum(1 for e in errors if abs(e) <= tolerance), len(pairs)))


def wait_accuracy(visits: Iterable[QueueVisit], by: str, *, tolerance: float = WAIT_TOLERANCE,
                  tz: tzinfo = UTC) -> Table:
    """Announced versus actual waits per group (positive bias: waits ran longer than told)."""
    return _grouped("wait-accuracy", "Announced versus actual wait", by,
                    ("estimates", "announced_avg_s", "actual_avg_s", "abs_error_avg_s",
                     "bias_avg_s", "within_tolerance_pct"), visits,
                    lambda vs: accuracy_figures(vs, tolerance), tz, "abs_error_avg_s",
                    note=f"tolerance {tolerance:g} s")


def callback_verdict(row: CallbackRow, now: datetime,
                     grace: timedelta = CALLBACK_GRACE) -> str | None:
    """kept, missed or open (None for a cancelled callback).

    Kept: the scheduler reached the caller (status ``done``) by the end of the window the
    caller chose, or within the grace after it fell due. Missed: given up (``failed``),
    refused (destination not allowed), reached too late, or still not reached after the
    deadline. Open: still being tried, before the deadline.
    """
    if row.status == "canceled":
        return None
    deadline = row.window_end or row.due_at + grace
    if row.status in ("failed", "refused"):
        return "missed"
    if row.status == "done":
        return "kept" if row.placed_at is not None and row.placed_at <= deadline else "missed"
    return "missed" if now > deadline else "open"


def callback_figures(rows: Sequence[CallbackRow], now: datetime,
                     grace: timedelta = CALLBACK_GRACE) -> tuple[Any, ...]:
    verdicts = [callback_verdict(r, now, grace) for r in rows]
    kept, missed = verdicts.count("kept"), verdicts.count("missed")
    return kept, missed, verdicts.count("open"), percent(kept, kept + missed)


def callbacks(rows: Iterable[CallbackRow], by: str, *, now: datetime,
              grace: timedelta = CALLBACK_GRACE, tz: tzinfo = UTC) -> Table:
    """Callbacks kept within their window versus missed, per group (by due day or tier)."""
    return _grouped("callbacks", "Callbacks kept", by,
                    ("kept", "missed", "open", "kept_pct"), rows,
                    lambda rs: callback_figures(rs, now, grace), tz, "kept_pct",
                    note=f"'as soon as possible' callbacks are due within "
                         f"{int(grace.total_seconds() // 60)} min")


def target_verdict(due: datetime | None, done: datetime | None, breached: datetime | None,
                   now: datetime) -> str | None:
    """met, breached, or None (no target, or not yet due and not done)."""
    if breached is not None:
        return "breached"
    if due is None:
        return None
    if done is not None:
        return "met" if done <= due else "breached"
    return "breached" if now > due else None


def sla_figures(tickets: Sequence[TicketRow], now: datetime) -> tuple[Any, ...]:
    response = [target_verdict(t.response_due, t.responded_at, t.response_breached_at, now)
                for t in tickets]
    resolution = [target_verdict(t.resolution_due, t.resolved_at, t.resolution_breached_at,
                                 now) for t in tickets]
    r_met, r_bad = response.count("met"), response.count("breached")
    s_met, s_bad = resolution.count("met"), resolution.count("breached")
    return (len(tickets), r_met, r_bad, percent(r_met, r_met + r_bad),
            s_met, s_bad, percent(s_met, s_met + s_bad))


def sla_compliance(tickets: Iterable[TicketRow], by: str, *, now: datetime,
                   tz: tzinfo = UTC) -> Table:
    """Response and resolution targets met versus breached, per group (usually priority)."""
    return _grouped("sla", "SLA compliance", by,
                    ("tickets", "response_met", "response_breached", "response_pct",
                     "resolution_met", "resolution_breached", "resolution_pct"), tickets,
                    lambda ts: sla_figures(ts, now), tz, "response_pct")


def is_first_contact_resolution(ticket: TicketRow) -> bool:
    return (ticket.resolved_at is not None and not ticket.escalated and not ticket.reopened
            and ticket.other_contacts == 0)


def fcr_figures(tickets: Sequence[TicketRow]) -> tuple[Any, ...]:
    resolved = [t for t in tickets if t.opened_by_call and t.resolved_at is not None]
    first = sum(1 for t in resolved if is_first_contact_resolution(t))
    return len(resolved), first, percent(first, len(resolved))


def first_contact_resolution(tickets: Iterable[TicketRow], by: str, *,
                             tz: tzinfo = UTC) -> Table:
    """Of the tickets opened by a call and resolved, those resolved on that first contact."""
    return _grouped("fcr", "First-contact resolution", by,
                    ("resolved", "first_contact", "fcr_pct"), tickets, fcr_figures, tz,
                    "fcr_pct")


def satisfaction_figures(rows: Sequence[SurveyRow]) -> tuple[Any, ...]:
    scores = [r.score for r in rows]
    return (len(scores), mean(scores),
            percent(sum(1 for s in scores if s >= SATISFIED), len(scores)),
            *(scores.count(n) for n in range(1, 6)))


def satisfaction(rows: Iterable[SurveyRow], by: str, *, tz: tzinfo = UTC) -> Table:
    """Survey scores per group: count, mean, share satisfied, and how many of each score."""
    return _grouped("satisfaction", "Satisfaction", by,
                    ("responses", "mean_score", "satisfied_pct",
                     "score_1", "score_2", "score_3", "score_4", "score_5"), rows,
                    satisfaction_figures, tz, "mean_score")


# ---- queries --------------------------------------------------------------------------------

VISIT_OUTCOMES = {"done": "answered", "abandoned": "abandoned", "resumed": "abandoned",
                  "callback": "callback", "voicemail": "voicemail"}


def _agent_names(session: Session) -> dict[int, str]:
    return {agent_id: name for agent_id, name in session.execute(select(Agent.id, Agent.name))}


def _answered_by(session: Session, tickets: Sequence[Ticket]) -> dict[int, int]:
    """Ticket id -> the analyst of the ticket: the one it was given to, else the one who
    answered its latest answered queue visit (of the ticket, or of the call that opened it)."""
    if not tickets:
        return {}
    ids = [t.id for t in tickets]
    calls = sorted({t.call_id for t in tickets if t.call_id is not None})
    by_ticket: dict[int, int] = {}
    by_call: dict[int, int] = {}
    for ticket_id, call_id, agent_id in session.execute(
            select(QueueEntry.ticket_id, QueueEntry.call_id, QueueEntry.agent_id)
            .where(QueueEntry.status == "done", QueueEntry.agent_id.is_not(None),
                   QueueEntry.ticket_id.in_(ids) | QueueEntry.call_id.in_(calls))
            .order_by(QueueEntry.joined_at, QueueEntry.id)):
        if ticket_id is not None:
            by_ticket[ticket_id] = agent_id
        if call_id is not None:
            by_call[call_id] = agent_id
    analysts = {}
    for t in tickets:
        agent_id = t.agent_id or by_ticket.get(t.id) or by_call.get(t.call_id or 0)
        if agent_id is not None:
            analysts[t.id] = agent_id
    return analysts


def load_call_starts(session: Session, start: datetime, end: datetime) -> list[datetime]:
    """Start times of inbound calls in [start, end), not counting analysts calling the line."""
    agent_phones = select(Agent.phone).where(Agent.phone.is_not(None))
    return list(session.scalars(
        select(Call.started_at)
        .where(Call.direction == "inbound", Call.started_at >= start, Call.started_at < end,
               Call.from_number.is_(None) | Call.from_number.not_in(agent_phones))))


def load_queue_visits(session: Session, start: datetime, end: datetime) -> list[QueueVisit]:
    """Finished queue visits that joined in [start, end)."""
    names = _agent_names(session)
    visits = []
    for e in session.scalars(select(QueueEntry).where(
            QueueEntry.joined_at >= start, QueueEntry.joined_at < end,
            QueueEntry.status.in_(VISIT_OUTCOMES))):
        outcome = VISIT_OUTCOMES[e.status]
        wait = e.actual_wait
        if wait is None and e.ended_at is not None and outcome != "answered":
            wait = (e.ended_at - e.joined_at).total_seconds()
        visits.append(QueueVisit(joined_at=e.joined_at, tier=e.tier, outcome=outcome, wait=wait,
                                 agent=names.get(e.agent_id) if e.agent_id else None,
                                 announced_wait=e.announced_wait,
                                 announced_at=e.announced_at))
    return visits


def load_callbacks(session: Session, start: datetime, end: datetime) -> list[CallbackRow]:
    """Callbacks due in [start, end), with the tier of the queue they were booked from."""
    rows = session.execute(
        select(OutboundCall, QueueEntry.tier, Ticket.tier)
        .outerjoin(QueueEntry, QueueEntry.id == OutboundCall.queue_entry_id)
        .outerjoin(Ticket, Ticket.id == OutboundCall.ticket_id)
        .where(OutboundCall.kind == "callback", OutboundCall.due_at >= start,
               OutboundCall.due_at < end)).all()
    names = _agent_names(session)
    return [CallbackRow(due_at=o.due_at, tier=queue_tier or ticket_tier, status=o.status,
                        placed_at=o.placed_at, window_end=o.window_end,
                        agent=names.get(o.agent_id) if o.agent_id else None)
            for o, queue_tier, ticket_tier in rows]


def load_tickets(session: Session, start: datetime, end: datetime) -> list[TicketRow]:
    """Tickets opened in [start, end) (follow-ups for the team lead left out), with what the
    first-contact rule needs to know about them."""
    tickets = list(session.scalars(select(Ticket).where(
        Ticket.created_at >= start, Ticket.created_at < end, Ticket.parent_id.is_(None))))
    if not tickets:
        return []
    ids = [t.id for t in tickets]
    escalated = set(session.scalars(select(TicketEvent.ticket_id).where(
        TicketEvent.ticket_id.in_(ids), TicketEvent.kind == "escalated")))
    visits: dict[int, list[tuple[int | None, datetime]]] = defaultdict(list)
    for ticket_id, call_id, joined in session.execute(
            select(QueueEntry.ticket_id, QueueEntry.call_id, QueueEntry.joined_at)
            .where(QueueEntry.ticket_id.in_(ids))):
        visits[ticket_id].append((call_id, joined))
    placed: dict[int, list[datetime]] = defaultdict(list)
    for ticket_id, at in session.execute(
            select(OutboundCall.ticket_id, OutboundCall.placed_at)
            .where(OutboundCall.ticket_id.in_(ids), OutboundCall.placed_at.is_not(None),
                   OutboundCall.kind.in_(("callback", "status_update")))):
        placed[ticket_id].append(at)
    names = _agent_names(session)
    analysts = _answered_by(session, tickets)
    rows = []
    for t in tickets:
        until = t.resolved_at
        others = sum(1 for call_id, joined in visits[t.id]
                     if call_id != t.call_id and (until is None or joined < until))
        others += sum(1 for at in placed[t.id] if until is None or at < until)
        rows.append(TicketRow(
            created_at=t.created_at, priority=t.priority, tier=t.tier, status=t.status,
            agent=names.get(analysts[t.id]) if t.id in analysts else None,
            response_due=t.response_due, responded_at=t.responded_at,
            response_breached_at=t.response_breached_at, resolution_due=t.resolution_due,
            resolved_at=t.resolved_at, resolution_breached_at=t.resolution_breached_at,
            opened_by_call=t.call_id is not None, escalated=t.id in escalated,
            reopened=t.reopened_count > 0, other_contacts=others))
    return rows


def load_surveys(session: Session, start: datetime, end: datetime) -> list[SurveyRow]:
    """Survey answers with a score given in [start, end)."""
    names = _agent_names(session)
    answers = session.execute(
        select(SurveyResponse, Ticket)
        .join(Ticket, Ticket.id == SurveyResponse.ticket_id)
        .where(SurveyResponse.at >= start, SurveyResponse.at < end,
               SurveyResponse.score.is_not(None))).all()
    analysts = _answered_by(session, list({t.id: t for _, t in answers}.values()))
    return [SurveyRow(at=s.at, score=s.score, tier=t.tier,
                      agent=names.get(analysts[t.id]) if t.id in analysts else None,
                      solved=s.solved)
            for s, t in answers]


@dataclass
class Report:
    """Every table of the reports page for one date range."""

    start: datetime
    end: datetime
    tables: list[Table] = field(default_factory=list)

    def table(self, name: str) -> Table:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)


def build(session: Session, start: datetime, end: datetime, *, now: datetime,
          tz: tzinfo = UTC, threshold: float = DEFAULT_SERVICE_LEVEL) -> Report:
    """All report tables for [start, end)."""
    tables = build_from_rows(load_call_starts(session, start, end),
                             load_queue_visits(session, start, end),
                             load_callbacks(session, start, end),
                             load_tickets(session, start, end),
                             load_surveys(session, start, end),
                             now=now, tz=tz, threshold=threshold)
    return Report(start, end, tables)


def table_names() -> list[str]:
    """The names of every table ``build`` makes (for CSV routes and the OpenAPI document)."""
    empty = build_from_rows([], [], [], [], [], now=datetime(2000, 1, 1, tzinfo=UTC))
    return [t.name for t in empty]


def build_from_rows(starts: list[datetime], visits: list[QueueVisit], cbs: list[CallbackRow],
                    tickets: list[TicketRow], surveys: list[SurveyRow], *, now: datetime,
                    tz: tzinfo = UTC, threshold: float = DEFAULT_SERVICE_LEVEL) -> list[Table]:
    """The same tables as ``build`` from rows already in hand (no database)."""
    tables = [calls_per_hour(starts, tz)]
    tables += [queue_performance(visits, by, threshold=threshold, tz=tz)
               for by in ("day", "tier", "agent")]
    tables += [wait_accuracy(visits, by, tz=tz) for by in ("day", "tier")]
    tables += [callbacks(cbs, by, now=now, tz=tz) for by in ("day", "tier")]
    tables += [sla_compliance(tickets, by, now=now, tz=tz) for by in ("priority", "tier")]
    tables += [first_contact_resolution(tickets, by, tz=tz) for by in ("day", "tier", "agent")]
    tables += [satisfaction(surveys, by, tz=tz) for by in ("day", "tier", "agent")]
    return tables

