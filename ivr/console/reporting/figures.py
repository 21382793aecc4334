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
- *Major incidents* (per incident declared in the range): *short-path calls*, the calls that
  took its short path (linked to it instead of the intake; a caller calling again counts
  again); *intake minutes saved*, their count times the median intake length (from a call's
  answer to its first ticket opened, over the range's intakes); *callers notified*, the linked
  callers whose notice call was done (reached, or a message on their machine), and the median
  minutes from resolving the incident to each of them told.
- *Known issues*: per self-service answer of the intake, the calls it ended (the caller
  pressed 1 after hearing it: solved, no ticket).
- A ticket's *analyst* (FCR and satisfaction by analyst): the analyst who answered the
  latest answered queue visit of the ticket or of the call that opened it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from tickets.statuses import OutboundStatus

from .rows import CallbackRow, IncidentRow, KnownIssueRow, QueueVisit, SurveyRow, TicketRow
from .tables import Table, grouped, mean, percent

DEFAULT_SERVICE_LEVEL = 60  # seconds, the threshold of SL and SL2
WAIT_TOLERANCE = 60  # seconds an announced wait may be off and still count as accurate
CALLBACK_GRACE = timedelta(minutes=15)  # "as soon as possible" callbacks: due + this
SATISFIED = 4  # a score at or above this is a satisfied customer


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
    return grouped("queue", "Queue performance", by, QUEUE_COLUMNS, visits,
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
    pairs = [(v.announced_wait, actual) for v in visits
             if v.outcome == "answered" and v.announced_wait is not None
             and (actual := remaining_wait(v)) is not None]
    errors = [actual - told for told, actual in pairs]
    return (len(pairs), mean([t for t, _ in pairs]), mean([a for _, a in pairs]),
            mean([abs(e) for e in errors]), mean(errors),
            percent(sum(1 for e in errors if abs(e) <= tolerance), len(pairs)))


def wait_accuracy(visits: Iterable[QueueVisit], by: str, *, tolerance: float = WAIT_TOLERANCE,
                  tz: tzinfo = UTC) -> Table:
    """Announced versus actual waits per group (positive bias: waits ran longer than told)."""
    return grouped("wait-accuracy", "Announced versus actual wait", by,
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
    if row.status == OutboundStatus.CANCELED:
        return None
    deadline = row.window_end or row.due_at + grace
    if row.status in (OutboundStatus.FAILED, OutboundStatus.REFUSED):
        return "missed"
    if row.status == OutboundStatus.DONE:
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
    return grouped("callbacks", "Callbacks kept", by,
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
    return grouped("sla", "SLA compliance", by,
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
    return grouped("fcr", "First-contact resolution", by,
                   ("resolved", "first_contact", "fcr_pct"), tickets, fcr_figures, tz,
                   "fcr_pct")


def satisfaction_figures(rows: Sequence[SurveyRow]) -> tuple[Any, ...]:
    scores = [r.score for r in rows]
    return (len(scores), mean(scores),
            percent(sum(1 for s in scores if s >= SATISFIED), len(scores)),
            *(scores.count(n) for n in range(1, 6)))


def satisfaction(rows: Iterable[SurveyRow], by: str, *, tz: tzinfo = UTC) -> Table:
    """Survey scores per group: count, mean, share satisfied, and how many of each score."""
    return grouped("satisfaction", "Satisfaction", by,
                   ("responses", "mean_score", "satisfied_pct",
                    "score_1", "score_2", "score_3", "score_4", "score_5"), rows,
                   satisfaction_figures, tz, "mean_score")


def median(values: Sequence[float]) -> float | None:
    """The middle value (the mean of the two middle ones), or None without values."""
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def incident_figures(rows: Iterable[IncidentRow], intake_seconds: Sequence[float]) -> Table:
    """Per major incident: short-path calls, intake minutes saved, callers notified and how
    fast (see the definitions above)."""
    typical = median(intake_seconds)
    out = []
    for row in sorted(rows, key=lambda r: r.declared_at):
        told = median(row.notified_after)
        out.append((row.incident, row.service, row.short_path_calls,
                    round(row.short_path_calls * typical / 60, 1) if typical else None,
                    row.linked_callers, len(row.notified_after),
                    round(told / 60, 1) if told is not None else None))
    note = (f"Median intake: {typical / 60:.1f} min." if typical
            else "No intake in the range to measure a median on.")
    return Table("incidents", "Major incidents",
                 ("incident", "service", "short_path_calls", "intake_minutes_saved",
                  "linked_callers", "callers_notified", "median_minutes_to_notify"),
                 out, "short_path_calls", note)


def known_issue_figures(rows: Iterable[KnownIssueRow]) -> Table:
    """Per known issue's answer: the calls it ended, most first."""
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row.answer] += 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return Table("known_issues", "Known issues answered by the line", ("answer", "calls_ended"),
                 [(answer, n) for answer, n in ordered], "calls_ended")


def build_from_rows(starts: list[datetime], visits: list[QueueVisit], cbs: list[CallbackRow],
                    tickets: list[TicketRow], surveys: list[SurveyRow], *, now: datetime,
                    tz: tzinfo = UTC, threshold: float = DEFAULT_SERVICE_LEVEL,
                    incidents: Sequence[IncidentRow] = (),
                    intake_seconds: Sequence[float] = (),
                    known_issues: Sequence[KnownIssueRow] = ()) -> list[Table]:
    """Every report table, from rows already in hand (``loading.build`` reads them)."""
    tables = [calls_per_hour(starts, tz)]
    tables += [queue_performance(visits, by, threshold=threshold, tz=tz)
               for by in ("day", "tier", "agent")]
    tables += [wait_accuracy(visits, by, tz=tz) for by in ("day", "tier")]
    tables += [callbacks(cbs, by, now=now, tz=tz) for by in ("day", "tier")]
    tables += [sla_compliance(tickets, by, now=now, tz=tz) for by in ("priority", "tier")]
    tables += [first_contact_resolution(tickets, by, tz=tz) for by in ("day", "tier", "agent")]
    tables += [satisfaction(surveys, by, tz=tz) for by in ("day", "tier", "agent")]
    tables.append(incident_figures(incidents, intake_seconds))
    tables.append(known_issue_figures(known_issues))
    return tables


def table_names() -> list[str]:
    """The names of every report table (for the CSV routes)."""
    empty = build_from_rows([], [], [], [], [], now=datetime(2000, 1, 1, tzinfo=UTC))
    return [t.name for t in empty]
