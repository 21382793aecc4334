"""The line as the pure core sees it: queue entries and analysts turned into routing values,
a caller's place in line and estimated wait, and the hold state of an entry. Reads only.

The work of one hold fetch does not grow with the number of callers waiting: the place in line
is one COUNT over the line's index (``ix_queue_entry_line``: status, consent, rank, joined_at,
id), and the routing pass reads the line in that order a page at a time only until the free
analysts are used up (nothing at all when nobody is free).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    CTE,
    ColumnElement,
    CompoundSelect,
    Float,
    Select,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from call_scripts.policy import HoldPolicy
from tickets.models import Agent, OutboundCall, QueueEntry
from tickets.statuses import AgentStatus, OutboundKind, OutboundStatus, QueueStatus

from . import estimator, hold, routing

RECENT_HANDLES = 50  # handle times the wait estimate learns from
RECENT_WAITS = 200  # callers whose waits (and who gave up) the wait estimate learns from
GAVE_UP = (QueueStatus.ABANDONED, QueueStatus.RESUMED)  # hung up while holding


def tier_rules(pol: HoldPolicy) -> routing.TierRules:
    return routing.TierRules(tier_wait_seconds=pol.tier_wait_seconds,
                             multiply_by_level=pol.multiply_by_level,
                             skip_empty_tiers=pol.skip_empty_tiers)


def ts(at: datetime) -> float:
    return at.timestamp()


def as_waiting(entry: QueueEntry) -> routing.Waiting:
    return routing.Waiting(id=entry.id, rank=entry.rank, joined_at=ts(entry.joined_at),
                           tier=entry.tier, category=entry.category, kind=entry.kind)


def as_agent(agent: Agent) -> routing.Agent:
    return routing.Agent(id=agent.id, tier=agent.tier, skills=frozenset(agent.skills or ()),
                         status=agent.status, idle_since=ts(agent.idle_since))


def holding(session: Session) -> list[QueueEntry]:
    """Callers holding with consent, best first (priority, then time waited)."""
    return list(session.scalars(
        select(QueueEntry)
        .where(QueueEntry.status == QueueStatus.WAITING, QueueEntry.consent.is_(True))
        .order_by(QueueEntry.rank, QueueEntry.joined_at, QueueEntry.id)))


_IN_ORDER = (QueueEntry.rank, QueueEntry.joined_at, QueueEntry.id)
PAGE = 32  # callers read per free analyst at a time while routing (5 free: 160, one page)


def _none(column: Any, name: str | None = None) -> ColumnElement[Any]:
    """NULL in the type of ``column`` (PostgreSQL types a bare NULL of a subquery as text),
    named (a subquery's columns need names)."""
    return cast(null(), column.type).label(name or column.key)


_WHAT = "what"  # which kind of row of a routing round's read: free, staffed, line, callback
_NO_OUTBOUND = _none(OutboundCall.id, "outbound_id")


# A routing round reads, in one statement (``round_read``): the free analysts (usually none,
# else a few); the tiers where someone is logged in, not every logged-in analyst's row
# (hundreds while thousands wait); and only when someone is free, the line's first page
# (``PAGE`` callers per free analyst) and the callback requests whose place came up. Every row
# is (what, id, tier, skills, at, rank, category, kind, outbound call id): ``at`` an analyst's
# idle time or a caller's join time. The line's next pages are read after the last caller
# read (``_LINE_AFTER``: an index range, one round trip a page), never through a server-side
# cursor (three round trips on PostgreSQL). Built once (their SQL and cache keys too).
FREE = (select(Agent.id, Agent.tier, Agent.skills, Agent.idle_since)
        .where(Agent.status == AgentStatus.AVAILABLE))
# An analyst's row has no caller's columns.
_NO_CALLER = (*(_none(c) for c in (QueueEntry.rank, QueueEntry.category, QueueEntry.kind)),
              _NO_OUTBOUND)
_STAFFED = (select(literal("staffed").label(_WHAT), _none(Agent.id), Agent.tier,
                   _none(Agent.skills), _none(Agent.idle_since), *_NO_CALLER)
            .where(Agent.status != AgentStatus.OFFLINE).group_by(Agent.tier))
# A caller's columns in the round's rows.
_CALLER = (QueueEntry.id, QueueEntry.tier, _none(Agent.skills), QueueEntry.joined_at,
           QueueEntry.rank, QueueEntry.category, QueueEntry.kind)
_HOLDING = (select(literal("line").label(_WHAT), *_CALLER, _NO_OUTBOUND)
            .where(QueueEntry.status == QueueStatus.WAITING, QueueEntry.consent.is_(True),
                   QueueEntry.queue_sid.is_not(None))
            .order_by(*_IN_ORDER))
# A caller's place in line (rank, joined_at, id), bound at run time. Typed as the columns:
# SQLite compares the text it stores, in the column type's format.
_PLACE = {c.key: bindparam(c.key, type_=c.type) for c in _IN_ORDER}
_AFTER = tuple_(*_PLACE.values())
_LINE_AFTER = _HOLDING.where(tuple_(*_IN_ORDER) > _AFTER).limit(bindparam("size"))
_CALLBACKS_DUE = (select(literal("callback").label(_WHAT), *_CALLER,
                         OutboundCall.id.label("outbound_id"))
                  .join(OutboundCall, OutboundCall.queue_entry_id == QueueEntry.id)
                  .where(QueueEntry.status == QueueStatus.CALLBACK,
                         OutboundCall.kind == OutboundKind.CALLBACK,
                         OutboundCall.status == OutboundStatus.PENDING,
                         OutboundCall.agent_id.is_(None),
                         OutboundCall.due_at <= bindparam("now")))


# The analysts whose wrap-up is over (bound: ``due``), one row each ("wrapped"): a round's read
# can tell whether the UPDATE making them available would change anything (usually not).
WRAP_UPS_DUE = (select(literal("wrapped").label(_WHAT), Agent.id, Agent.tier,
                       _none(Agent.skills), _none(Agent.idle_since), *_NO_CALLER)
                .where(Agent.status == AgentStatus.WRAP_UP,
                       Agent.status_since <= bindparam("due")))


def round_read(free: CTE, *more: Select[Any]) -> CompoundSelect[Any]:
    """A routing round's read, the analysts free being the rows of ``free`` (id, tier, skills,
    idle_since): ``ROUND_READ``'s, or ``agents.finish_wrap_ups``'s with those whose wrap-up
    it ended; ``more``: other rows of the same columns (``WRAP_UPS_DUE``)."""
    size = select(func.count() * PAGE).select_from(free).scalar_subquery()
    return union_all(
        select(literal("free").label(_WHAT), free.c.id, free.c.tier, free.c.skills,
               free.c.idle_since, *_NO_CALLER),
        _STAFFED,
        select(_HOLDING.limit(size).subquery()),
        _CALLBACKS_DUE.where(select(free.c.id).exists()),
        *more)


ROUND_READ = round_read(FREE.cte("free"))


@dataclass(frozen=True)
class Line:
    """What a routing round reads: the analysts free now, the tiers where someone is logged in
    (``routing.assign``'s ``staffed``) and, when someone is free, the line's first page (best
    first) and the callback requests whose place came up (queue entry id -> the pending
    callback's outbound call id)."""

    free: list[routing.Agent]
    staffed: set[int]
    first: list[routing.Waiting]
    callbacks: dict[int, tuple[routing.Waiting, int]]
    after: dict[str, Any] | None = None  # the page's last caller: rank, joined_at, id
    wrap_ups_over: bool = False  # read with ``WRAP_UPS_DUE``: an analyst's wrap-up is over


def read_line(session: Session, read: CompoundSelect[Any] = ROUND_READ,
              params: dict[str, Any] | None = None) -> Line:
    """A routing round's read (``read``: ``ROUND_READ`` or ``agents.finish_wrap_ups``'s), in
    one statement: each analyst once, the line's page in order (a union keeps none)."""
    free: dict[int, routing.Agent] = {}
    staffed: set[int] = set()
    first: list[tuple[routing.Waiting, datetime]] = []
    callbacks: dict[int, tuple[routing.Waiting, int]] = {}
    wrap_ups_over = False
    for what, i, tier, skills, at, rank, category, kind, outbound in \
            session.connection().execute(read, params):
        if what == "free":
            free[i] = routing.Agent(id=i, tier=tier, skills=frozenset(skills or ()),
                                    status=AgentStatus.AVAILABLE, idle_since=ts(at))
        elif what == "staffed":
            staffed.add(tier)
        elif what == "wrapped":
            wrap_ups_over = True
        else:
            w = routing.Waiting(id=i, rank=rank, joined_at=ts(at), tier=tier,
                                category=category, kind=kind)
            if what == "line":
                first.append((w, at))
            else:
                callbacks[i] = (w, outbound)
    first.sort(key=lambda caller: routing.order_key(caller[0]))
    last = _keyset(*first[-1]) if first else None
    return Line(list(free.values()), staffed, [w for w, _ in first], callbacks, last,
                wrap_ups_over)


def _keyset(w: routing.Waiting, joined_at: datetime) -> dict[str, Any]:
    """Where the line's next page begins: after this caller (their join time as read)."""
    return {"rank": w.rank, "joined_at": joined_at, "id": w.id}


def _holding_from(session: Session, line: Line, size: int) -> Iterator[routing.Waiting]:
    """Callers holding with consent in Twilio's queue, best first, as routing values: the
    first page read, then ``size`` at a time while the round asks for more."""
    yield from line.first
    page, after = len(line.first), line.after
    while after is not None and page >= size:
        rows = session.connection().execute(_LINE_AFTER, {**after, "size": size}).all()
        for _, i, tier, _, joined, rank, category, kind, _ in rows:
            w = routing.Waiting(id=i, rank=rank, joined_at=ts(joined), tier=tier,
                                category=category, kind=kind)
            after = _keyset(w, joined)
            yield w
        page = len(rows)


class Round(NamedTuple):
    """A routing round's pairs, and the callback requests among them: queue entry id -> the
    pending callback's outbound call id."""

    pairs: list[tuple[routing.Waiting, routing.Agent]]
    callbacks: dict[int, int]


def routing_round(session: Session, now: datetime, pol: HoldPolicy,
                  arriving: tuple[routing.Waiting, ...] = (),
                  line: Line | None = None) -> Round:
    """One routing round as the line runs it: the callers holding, the callback requests whose
    place came up (their entries keep the caller's original join time) and any caller
    ``arriving``, in ``order_key`` order, each given the fitting free analyst
    ``routing.assign`` chooses (``line``: the ``read_line`` just read)."""
    if line is None:
        line = read_line(session, params={"now": now})
    if not line.free:
        return Round([], {})
    due = sorted([*(w for w, _ in line.callbacks.values()), *arriving], key=routing.order_key)
    holding = _holding_from(session, line, PAGE * len(line.free))
    pairs = routing.assign(heapq.merge(holding, due, key=routing.order_key), line.free,
                           ts(now), tier_rules(pol), presorted=True, staffed=line.staffed)
    return Round(pairs, {i: outbound for i, (_, outbound) in line.callbacks.items()})


def put_through(session: Session, entry: QueueEntry, now: datetime, pol: HoldPolicy,
                line: Line | None = None) -> bool:
    """Would the routing round now give this arriving caller a free analyst? The round, not
    the place in line: a free analyst with the caller's skills takes them even while callers
    ahead wait for other skills (``line``: the ``read_line`` just read)."""
    if line is None:
        line = read_line(session, params={"now": now})
    if not line.free:
        return False
    me = as_waiting(entry)
    pairs = routing_round(session, now, pol, (me,), line).pairs
    return any(w.id == me.id for w, _ in pairs)


def _at(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


# The line's statements are built once (their SQL and cache keys too): a hold fetch only binds
# its values. Building and keying a statement costs more than running it.
# Not their idle time: the shares and the wait estimate never read it (a date parsed per analyst).
_STAFF = (select(Agent.id, Agent.tier, Agent.skills, Agent.status, Agent.status_since)
          .where(Agent.status != AgentStatus.OFFLINE))
_WAITS = (select(QueueEntry.actual_wait, QueueEntry.status)
          .where(QueueEntry.ended_at.is_not(None), QueueEntry.actual_wait.is_not(None))
          .order_by(QueueEntry.ended_at.desc()).limit(RECENT_WAITS))
# By the tiers served: the same few come back on every fetch. No list is bound at run time (an
# expanding IN costs a rewrite of the SQL per execution).
_HANDLES: dict[tuple[int, ...], Select[Any]] = {}
_SHAPES_MAX = 256


def _handles(tiers: tuple[int, ...]) -> Select[Any]:
    """The latest handle times of calls answered in these tiers."""
    known = _HANDLES.get(tiers)
    if known is None:
        if len(_HANDLES) >= _SHAPES_MAX:
            _HANDLES.clear()
        # ``ended_at IS NOT NULL`` (set with every handle time) makes it a range of the
        # ``ended_at`` index: without it the walk down the index passes every caller still
        # waiting (NULL: last on SQLite, first on PostgreSQL) before or after the ended ones.
        known = _HANDLES[tiers] = (
            select(QueueEntry.handled_seconds)
            .where(QueueEntry.ended_at.is_not(None), QueueEntry.handled_seconds.is_not(None),
                   QueueEntry.tier.in_(tiers))
            .order_by(QueueEntry.ended_at.desc()).limit(RECENT_HANDLES))
    return known


# The holding callers ahead of a caller (bound: their rank, joined_at and id).
_AHEAD = and_(QueueEntry.status == QueueStatus.WAITING, QueueEntry.consent.is_(True),
              QueueEntry.id != _PLACE["id"], tuple_(*_IN_ORDER) < _AFTER)

# The shape of a CASE of the shares (``_shares_ahead``): how many levels (a tier the callers
# started in and a cut-off time: which tiers have opened to them) and how many categories
# (no category, then each one an analyst lists) it has room for; None: no CASE. Everything
# else is bound at run time: the start tiers, the cut-off times, the categories and the shares
# (0 as NULL, so that COUNT does not count it). Levels are given room for by the handful
# (``_LEVEL_ROOM``, unused ones never match), so that the line's callers of every tier,
# category and time joined share one statement per number of later stages, each compiled once
# (a statement of its own per arrangement of levels was compiled, at about 15 ms, each time a
# caller far back brought a new one).
_Shape = tuple[int, int] | None
_LEVEL_ROOM = 6  # every level of three tiers: 3 for callers starting in tier 1, 2, then 1
_NO_TIER = -1  # the start tier of a level not used: no caller started there
# ``places``' statements by the shapes of their CASEs (the caller's own, then the later ones).
_PLACES: dict[tuple[_Shape, tuple[_Shape, ...]], Select[Any]] = {}


def places(session: Session, me: QueueEntry, shares: routing.Shares,
           later: list[routing.Shares] | None = None) -> tuple[int, float, list[float]]:
    """The caller's place in line, 1 + the holding callers ahead whom one of ``me``'s analysts
    could take (``routing.place_in_line``), and the place the wait estimate counts to, with
    each of them counted by the share of their analysts who are also ``me``'s
    (``routing.shared_place``); and that place again for each of the ``later`` shares (a
    higher tier opened to the caller): one pass over the line's index for all of them."""
    values = {"rank": me.rank, "joined_at": me.joined_at, "id": me.id}
    share = _shares_ahead(shares, "s_", values)
    wider = tuple(_shares_ahead(s, f"s{n}_", values) for n, s in enumerate(later or ()))
    if share is None and not any(w is not None for w in wider):
        return 1, 1.0, [1.0 for _ in wider]
    row = iter(_reads(session).execute(_places(share, wider), values).one())
    counted, total = (next(row), next(row)) if share is not None else (0, 0.0)
    return 1 + (counted or 0), 1.0 + float(total or 0.0), [
        1.0 + float((next(row) if w is not None else 0.0) or 0.0) for w in wider]


def _places(shape: _Shape, wider: tuple[_Shape, ...]) -> Select[Any]:
    """``places``' statement for these shapes, built once."""
    known = _PLACES.get((shape, wider))
    if known is None:
        if len(_PLACES) >= _SHAPES_MAX:
            _PLACES.clear()
        # Each CASE once per caller ahead: computed in a subquery that is not merged into the
        # count (OFFSET 0 keeps SQLite's flattener from copying it into both aggregates).
        shares = ([_share_case(shape, "s_").label("s")] if shape is not None else []) + [
            _share_case(w, f"s{n}_").label(f"w{n}") for n, w in enumerate(wider)
            if w is not None]
        ahead = select(*shares).where(_AHEAD).offset(0).subquery()
        columns: list[ColumnElement[Any]] = []
        if shape is not None:
            columns += [func.count(ahead.c.s), func.sum(ahead.c.s)]
        columns += [func.sum(ahead.c[f"w{n}"]) for n, w in enumerate(wider) if w is not None]
        known = _PLACES[(shape, wider)] = select(*columns)
    return known


def _shares_ahead(shares: routing.Shares, prefix: str, values: dict[str, Any]) -> _Shape:
    """The shape of the CASE giving the share of each holding caller ahead (``routing.Shares``;
    NULL for 0, so that COUNT counts only shares above 0) on the tier they started in, how long
    ago they joined (which tiers have opened to them) and their category; its values put in
    ``values`` under names beginning with ``prefix``. None when none of them counts."""
    if not shares.serving:
        return None
    categories = (None, *sorted(shares.categories))
    levels = 0
    for start in sorted({s for cutoffs in shares.cutoffs.values() for s in cutoffs}):
        for cut, tiers in shares.levels(start):
            other = shares.unlisted(tiers)
            named = [shares.share(tiers, c) for c in categories]
            if not other and not any(named):
                continue  # NULL; so are the later, narrower levels: nothing falls through
            level = f"{prefix}{levels}"
            values[f"{level}_start"] = start
            values[f"{level}_cut"] = _at(cut)
            values[f"{level}_else"] = other or None
            for k, (c, v) in enumerate(zip(categories, named, strict=True)):
                if c is not None:
                    values[f"{level}_{k}_category"] = c
                values[f"{level}_{k}"] = v or None
            levels += 1
    if not levels:
        return None
    room = max(_LEVEL_ROOM, levels)
    for n in range(levels, room):
        level = f"{prefix}{n}"
        values[f"{level}_start"] = _NO_TIER
        values[f"{level}_cut"] = None
        values[f"{level}_else"] = None
        for k, c in enumerate(categories):
            if c is not None:
                values[f"{level}_{k}_category"] = None
            values[f"{level}_{k}"] = None
    return room, len(categories)


def _share_case(shape: tuple[int, int], prefix: str) -> ColumnElement[float]:
    """The CASE of ``_shares_ahead``'s shape, its values bound by the same names. The shares
    are cast to floats: all of them may be NULL, which PostgreSQL would otherwise take as
    text."""
    q = QueueEntry
    levels, categories = shape

    def share(name: str) -> ColumnElement[Any]:
        return cast(bindparam(name, type_=Float), Float)

    by_level = []
    for n in range(levels):
        level = f"{prefix}{n}"
        cases = [(q.category.is_(None) if k == 0
                  else q.category == bindparam(f"{level}_{k}_category", type_=q.category.type),
                  share(f"{level}_{k}"))
                 for k in range(categories)]
        start = bindparam(f"{level}_start", type_=q.tier.type)
        cut = bindparam(f"{level}_cut", type_=q.joined_at.type)
        by_level.append((and_(q.tier == start, q.joined_at <= cut),
                         case(*cases, else_=share(f"{level}_else"))))
    return case(*by_level, else_=null())


def _reads(session: Session) -> Connection:
    """The session's connection, for reads of plain rows (the ORM's handling of them costs a
    sixth of a fetch's time in process), after the flush its autoflush would make."""
    session.flush()
    return session.connection()


def _staff(session: Session) -> tuple[list[routing.Agent], dict[int, float]]:
    """The analysts logged in, as routing sees them, and since when each has had their
    status (epoch seconds, by id)."""
    since: dict[int, float] = {}
    staff = []
    for i, tier, skills, status, status_since in _reads(session).execute(_STAFF):
        since[i] = ts(status_since)
        staff.append(routing.Agent(id=i, tier=tier, skills=frozenset(skills or ()),
                                   status=status, idle_since=0.0))  # not read (``_STAFF``)
    return staff, since


def position_in_line(session: Session, entry: QueueEntry, now: datetime,
                     pol: HoldPolicy) -> int:
    """``position_and_estimate``'s place alone, without the reads and work of the estimate."""
    staff, _ = _staff(session)
    shares = routing.Shares(as_waiting(entry), staff, ts(now), tier_rules(pol))
    return places(session, entry, shares)[0]


def position_and_estimate(session: Session, entry: QueueEntry, now: datetime,
                          pol: HoldPolicy) -> tuple[int, float]:
    """The caller's place among those the same agents serve, and the estimated wait (s):
    counting, when the wait would outlast the policy's wait for a higher tier, that tier's
    agents from the moment it opens to the caller (``estimator.Stage``)."""
    t = ts(now)
    staff, since = _staff(session)
    rules = tier_rules(pol)
    me = as_waiting(entry)
    shares = routing.Shares(me, staff, t, rules)
    staffed = {a.tier for a in staff}
    openings = routing.later_openings(me, t, rules, staffed)
    wider = [routing.Shares(me, staff, t + opens, rules) for opens in openings]
    place, shared, shared_later = places(session, entry, shares, wider)
    first = _stage(session, entry, shares, since, t, t, shared, pol)
    snapshot = estimator.Snapshot(
        position=first.position, free_agents=first.free_agents,
        busy_elapsed=first.busy_elapsed, handle_times=first.handle_times,
        wrap_up_seconds=float(pol.wrap_up_seconds),
        wrapping_remaining=first.wrapping_remaining,
        give_up_rate=give_up_rate(session) if place > 1 else 0.0)
    estimate = estimator.estimate_wait(snapshot)
    later = []
    for opens, shares_then, shared_then in zip(openings, wider, shared_later, strict=True):
        if opens >= estimate:
            break  # a higher tier opening after the wait changes nothing
        later.append(_stage(session, entry, shares_then, since, t, t + opens, shared_then,
                            pol))
    if later:
        estimate = estimator.estimate_wait(replace(snapshot, later=later), first=estimate)
    return place, estimate


def give_up_rate(session: Session) -> float:
    """Per second, the chance a holding caller gives up, from the line's last callers whose
    wait is over (answered or hung up; ``estimator.give_up_rate``)."""
    rows = _reads(session).execute(_WAITS).all()
    return estimator.give_up_rate([(wait or 0.0, status in GAVE_UP) for wait, status in rows])


def _stage(session: Session, entry: QueueEntry, shares: routing.Shares,
           since: dict[int, float], t: float, at: float, shared: float,
           pol: HoldPolicy) -> estimator.Stage:
    """The agents who may take the caller from ``at`` on (``shares.serving``), as known at
    ``t``, counting to the place ``shared`` (callers ahead by their share)."""
    serving = shares.serving
    busy = [t - since[a.id] for a in serving if a.status == AgentStatus.ON_CALL]
    wrapping = [max(0.0, pol.wrap_up_seconds - (t - since[a.id]))
                for a in serving if a.status == AgentStatus.WRAP_UP]
    tiers = {a.tier for a in serving} or {entry.tier}
    handles = _reads(session).execute(_handles(tuple(sorted(tiers)))).scalars().all()
    return estimator.Stage(
        opens_in=at - t, position=shared,
        free_agents=sum(1 for a in serving if a.status == AgentStatus.AVAILABLE),
        busy_elapsed=busy, handle_times=[float(h) for h in reversed(handles) if h is not None],
        wrapping_remaining=wrapping)


def hold_state(entry: QueueEntry) -> hold.HoldState:
    """What the entry remembers between hold passes, as the pure hold core reads it."""
    def when(at: datetime | None) -> float | None:
        return ts(at) if at else None

    return hold.HoldState(joined_at=ts(entry.joined_at), announced_wait=entry.announced_wait,
                          announced_at=when(entry.announced_at),
                          last_message_at=when(entry.last_message_at),
                          last_position_told=entry.last_position_told,
                          last_check_back_at=when(entry.last_check_back_at),
                          late_apologies=entry.late_apologies)
