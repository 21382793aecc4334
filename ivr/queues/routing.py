"""Which waiting caller goes to which free agent: priority, time waited, tiers and skills.

Tier rules follow FreeSWITCH mod_callcenter. A caller starts in the tier their ticket names.
After ``tier_wait_seconds`` the agents of the next tier may take them too. With
``multiply_by_level`` the k-th extra tier opens after ``tier_wait_seconds * k``; without it,
every higher tier opens together after ``tier_wait_seconds`` (mod_callcenter's
``tier_rule_wait_multiply_level = false``). With ``skip_empty_tiers``, a tier where nobody is
logged in does not count and costs no waiting. Routing goes up from the start tier, never down.

Times are epoch seconds (floats); ``joined_at`` is the caller's original join time, so a
re-queued or resumed caller keeps both their place and how far their tiers have opened.

For speed, the functions that scan many callers read each caller's fields once and compare
them against per-tier cut-off times worked out beforehand ("a caller who started in tier s may
be taken by a tier-T agent when they joined at or before cutoff[s]"), not by calling
``eligible_tiers`` per caller.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter

from tickets.statuses import AgentStatus, QueueKind

AVAILABLE = AgentStatus.AVAILABLE
OFFLINE = AgentStatus.OFFLINE
_NEVER = float("-inf")


@dataclass(frozen=True, slots=True)
class Waiting:
    """A caller waiting, or a callback request that holds a place in line."""

    id: int
    rank: int  # priority rank: 1 = most urgent (enterprise failure) ... 4
    joined_at: float  # epoch seconds of the original join (kept across re-queue / resume)
    tier: int  # tier the ticket starts in (1..3)
    category: str | None
    kind: str = QueueKind.CALLER  # or QueueKind.CALLBACK


@dataclass(frozen=True, slots=True)
class Agent:
    """An analyst as routing sees them."""

    id: int
    tier: int
    skills: frozenset[str]  # service categories; empty = all
    status: str  # available, on_break, offline, on_call, wrap_up
    idle_since: float


@dataclass(frozen=True)
class TierRules:
    """When a caller's ticket may go to the next tier (mod_callcenter's tier rules)."""

    tier_wait_seconds: int = 120
    multiply_by_level: bool = True
    skip_empty_tiers: bool = True
    max_tier: int = 3


def order_key(w: Waiting) -> tuple:
    """Who is served first: most urgent priority, then longest waiting, then lowest id."""
    return (w.rank, w.joined_at, w.id)


def _opens_after(start: int, tier: int, rules: TierRules, staffed: Iterable[int]) -> float | None:
    """Seconds a caller starting in ``start`` waits before ``tier`` may take them (None: never).

    ``tier`` itself is taken as staffed (an agent of it is asking).
    """
    if tier < start or tier > rules.max_tier:
        return None
    extra = 0
    for t in range(start, tier):
        if rules.skip_empty_tiers and t not in staffed:
            continue
        extra += 1
    if extra == 0:
        return 0.0
    if rules.multiply_by_level:
        return float(rules.tier_wait_seconds * extra)
    return float(rules.tier_wait_seconds)


def eligible_tiers(w: Waiting, now: float, rules: TierRules, staffed_tiers: set[int]) -> set[int]:
    """The tiers whose agents may take this caller now."""
    out: set[int] = set()
    extra = 0
    for t in range(w.tier, rules.max_tier + 1):
        if rules.skip_empty_tiers and t not in staffed_tiers:
            continue
        if extra:
            opens = rules.tier_wait_seconds * (extra if rules.multiply_by_level else 1)
            if w.joined_at > now - opens:  # written as the cut-offs are, to agree exactly
                break
        out.add(t)
        extra += 1
    return out


def later_openings(w: Waiting, now: float, rules: TierRules, staffed_tiers: set[int]
                   ) -> list[float]:
    """The moments (seconds from now) at which a higher tier opens to this caller, soonest
    first: the wait estimate counts their agents from then on."""
    later: set[float] = set()
    for t in range(w.tier + 1, rules.max_tier + 1):
        if rules.skip_empty_tiers and t not in staffed_tiers:
            continue
        opens = _opens_after(w.tier, t, rules, staffed_tiers)
        if opens is not None and w.joined_at + opens > now:
            later.add(w.joined_at + opens - now)
    return sorted(later)


def _skills_fit(skills: frozenset[str], category: str | None) -> bool:
    return not skills or category is None or category in skills


def fits(agent: Agent, w: Waiting, now: float, rules: TierRules,
         staffed_tiers: set[int]) -> bool:
    """May this agent take this caller now (free, tier opened for the caller, skills)?"""
    if agent.status != AVAILABLE or not _skills_fit(agent.skills, w.category):
        return False
    opens = _opens_after(w.tier, agent.tier, rules, staffed_tiers)
    return opens is not None and w.joined_at <= now - opens


def _cutoffs(tier: int, now: float, rules: TierRules, staffed: Iterable[int]) -> dict[int, float]:
    """For each start tier, the latest join time a tier-``tier`` agent may take now."""
    out = {}
    for start in range(1, rules.max_tier + 1):
        opens = _opens_after(start, tier, rules, staffed)
        out[start] = _NEVER if opens is None else now - opens
    return out


def best_caller_for(agent: Agent, waiting: Sequence[Waiting], now: float, rules: TierRules,
                    staffed_tiers: set[int], presorted: bool = False) -> Waiting | None:
    """The caller a free agent should take: the first in ``order_key`` order who fits.

    With ``presorted`` the caller promises ``waiting`` is already in ``order_key`` order (e.g.
    ``ORDER BY rank, joined_at, id``) and the scan stops at the first fit.
    """
    if agent.status != AVAILABLE:
        return None
    cut = _cutoffs(agent.tier, now, rules, staffed_tiers).get
    skills = agent.skills
    best = None
    b_rank = 0
    b_joined = 0.0
    b_id = 0
    for w in waiting:
        joined = w.joined_at
        c = cut(w.tier, _NEVER)
        if joined > c:
            continue
        if skills and w.category is not None and w.category not in skills:
            continue
        if presorted:
            return w
        rank = w.rank
        if (best is None or rank < b_rank
                or (rank == b_rank and (joined < b_joined
                                        or (joined == b_joined and w.id < b_id)))):
            best, b_rank, b_joined, b_id = w, rank, joined, w.id
    return best


def best_agent_for(w: Waiting, agents: Iterable[Agent], now: float, rules: TierRules,
                   staffed_tiers: set[int]) -> Agent | None:
    """Among free agents who fit the caller, the one idle longest (ties: lowest id)."""
    opens_by_tier: dict[int, float | None] = {}
    best = None
    for a in agents:
        if a.status != AVAILABLE or not _skills_fit(a.skills, w.category):
            continue
        if a.tier not in opens_by_tier:
            opens_by_tier[a.tier] = _opens_after(w.tier, a.tier, rules, staffed_tiers)
        opens = opens_by_tier[a.tier]
        if opens is None or w.joined_at > now - opens:
            continue
        if best is None or (a.idle_since, a.id) < (best.idle_since, best.id):
            best = a
    return best


SERVING = frozenset({AgentStatus.AVAILABLE, AgentStatus.ON_CALL, AgentStatus.WRAP_UP})


class Shares:
    """How much each caller ahead of ``me`` stands between ``me`` and ``me``'s analysts: the
    share of the analysts who could serve that caller (serving now, in a tier open to them,
    skills that fit) who are also ``me``'s (``serving``). Whichever of a caller's analysts frees
    first takes them, so analysts of another tier or other skills take about their share of
    such callers: a caller ahead served by 2 of ``me``'s analysts and 2 others counts as half a
    place; one whom only ``me``'s could take, as a whole place; one whom none of them could,
    not at all. Staffed tiers are derived from ``agents`` as in ``assign``."""

    def __init__(self, me: Waiting, agents: Iterable[Agent], now: float, rules: TierRules):
        agents = list(agents)
        staffed = {a.tier for a in agents if a.status != OFFLINE}
        mine = eligible_tiers(me, now, rules, staffed)
        everyone = [a for a in agents if a.status in SERVING]
        self.serving = [a for a in everyone
                        if a.tier in mine and _skills_fit(a.skills, me.category)]
        self.cutoffs = {t: _cutoffs(t, now, rules, staffed)
                        for t in sorted({a.tier for a in everyone})}
        self.categories: frozenset[str] = frozenset().union(*(a.skills for a in everyone))
        # Per (tier, one of me's?): how many analysts, how many take every category, and how
        # many list each category; a share is then a few sums, however many analysts.
        self._all: Counter[tuple[int, bool]] = Counter()
        self._any: Counter[tuple[int, bool]] = Counter()
        self._named: Counter[tuple[int, bool, str]] = Counter()
        for (tier, skills), n in Counter((a.tier, a.skills) for a in everyone).items():
            kind = (tier, tier in mine and _skills_fit(skills, me.category))
            self._all[kind] += n
            if not skills:
                self._any[kind] += n
            for c in skills:
                self._named[(*kind, c)] += n
        self._levels: dict[int, list[tuple[float, frozenset[int]]]] = {}
        self._memo: dict[tuple[frozenset[int], str | None, bool], float] = {}

    def levels(self, start: int) -> list[tuple[float, frozenset[int]]]:
        """For callers who started in tier ``start``, ``(cut, tiers)`` pairs, earliest cut
        first: a caller who joined at or before ``cut`` (and after the cut before it) may be
        taken by the analysts of ``tiers``."""
        found = self._levels.get(start)
        if found is None:
            cuts = sorted({c for c in (cut.get(start, _NEVER) for cut in self.cutoffs.values())
                           if c != _NEVER})
            found = self._levels[start] = [
                (c, frozenset(t for t, cut in self.cutoffs.items()
                              if cut.get(start, _NEVER) >= c)) for c in cuts]
        return found

    def open_tiers(self, tier: int, joined_at: float) -> frozenset[int]:
        """The tiers with analysts serving now that may take a caller who started in ``tier``
        and joined at ``joined_at``."""
        for cut, tiers in self.levels(tier):
            if joined_at <= cut:
                return tiers
        return frozenset()

    def share(self, open_tiers: frozenset[int], category: str | None) -> float:
        """The share of the analysts serving a caller (``open_tiers``, ``category``) who are
        also ``me``'s (0 when nobody serves them). Every category none of the analysts lists
        (not in ``categories``) has the same share: only analysts of every category fit."""
        return self._share(open_tiers, category, category is None or category in self.categories)

    def unlisted(self, open_tiers: frozenset[int]) -> float:
        """``share`` for a caller whose category none of the analysts lists."""
        return self._share(open_tiers, None, False)

    def _share(self, open_tiers: frozenset[int], category: str | None, listed: bool) -> float:
        key = (open_tiers, category, listed)
        found = self._memo.get(key)
        if found is None:
            mine = sum(self._fitting((t, True), category, listed) for t in open_tiers)
            theirs = mine + sum(self._fitting((t, False), category, listed) for t in open_tiers)
            found = self._memo[key] = mine / theirs if theirs else 0.0
        return found

    def _fitting(self, kind: tuple[int, bool], category: str | None, listed: bool) -> int:
        """How many analysts of ``kind`` (tier, one of me's?) fit a caller's category."""
        if not listed:
            return self._any[kind]
        if category is None:
            return self._all[kind]
        return self._any[kind] + self._named[(*kind, category)]

    def of(self, w: Waiting) -> float:
        """The share of the caller ``w`` (waiting ahead of ``me``)."""
        return self.share(self.open_tiers(w.tier, w.joined_at), w.category)


def place_in_line(me: Waiting, waiting: Iterable[Waiting], agents: Iterable[Agent], now: float,
                  rules: TierRules) -> tuple[int, list[Agent]]:
    """The caller's place in line and the agents who could serve them, for the wait estimate.

    The agents: serving now (available, on a call or in wrap-up), in a tier open to the caller,
    with skills that fit. The place: 1 + the callers ahead in ``order_key`` order whom at least
    one of those agents could take (tier opened for them, skills fit: a share above 0 in
    ``Shares``). Staffed tiers are derived from ``agents`` as in ``assign``. ``me`` itself in
    ``waiting`` is not counted. (``ivr.queues.lineup`` counts the same callers with one query
    over the line's index.)
    """
    shares = Shares(me, agents, now, rules)
    key = order_key(me)
    ahead = sum(1 for w in waiting
                if w.id != me.id and (w.rank, w.joined_at, w.id) < key and shares.of(w) > 0)
    return ahead + 1, shares.serving


def shared_place(me: Waiting, waiting: Iterable[Waiting], agents: Iterable[Agent], now: float,
                 rules: TierRules) -> float:
    """The place the wait estimate counts to: 1 + the callers ahead of ``me`` in ``order_key``
    order, each counted by the share of their analysts who are also ``me``'s (``Shares``).
    (``ivr.queues.lineup`` sums the same in one pass over the line's index.)"""
    shares = Shares(me, agents, now, rules)
    key = order_key(me)
    return 1 + math.fsum(shares.of(w) for w in waiting
                         if w.id != me.id and (w.rank, w.joined_at, w.id) < key)


class _FreeTier:
    """The free agents of one tier, longest idle first, and who they may take now."""

    __slots__ = ("tier", "agents", "cut")

    def __init__(self, tier: int, agents: list[Agent], cut: dict[int, float]):
        self.tier = tier
        self.agents = sorted(agents, key=lambda a: (a.idle_since, a.id))
        self.cut = cut

    def take(self, category: str | None) -> Agent | None:
        """The longest-idle agent here whose skills fit (not removed)."""
        for a in self.agents:
            if not a.skills or category is None or category in a.skills:
                return a
        return None


def in_order(waiting: Iterable[Waiting]) -> list[Waiting]:
    """The callers sorted by ``order_key``.

    Sorting on tuples is slow in CPython; this sorts each priority's callers on the float
    ``joined_at`` alone (about four times faster for 5,000 callers) and then puts the rare runs
    of equal join times in id order.
    """
    by_rank: dict[int, list[Waiting]] = {}
    for w in waiting:
        by_rank.setdefault(w.rank, []).append(w)
    out: list[Waiting] = []
    for rank in sorted(by_rank):
        group = by_rank[rank]
        group.sort(key=_joined)
        out += group
    i, n = 0, len(out)
    while i < n - 1:
        j = i + 1
        while j < n and out[j].joined_at == out[i].joined_at and out[j].rank == out[i].rank:
            j += 1
        if j - i > 1:
            out[i:j] = sorted(out[i:j], key=_id)
        i = j
    return out


_joined = attrgetter("joined_at")
_id = attrgetter("id")


def assign(waiting: Iterable[Waiting], agents: Iterable[Agent], now: float, rules: TierRules,
           presorted: bool = False, staffed: set[int] | None = None
           ) -> list[tuple[Waiting, Agent]]:
    """One routing round: callers in ``order_key`` order each get the longest-idle fitting free
    agent; each agent is used once. Tiers count as staffed when an agent there is not offline.

    With ``presorted`` the caller promises ``waiting`` is already in ``order_key`` order; it
    may then be a stream (read only until the free agents are used up). With ``staffed`` the
    caller gives the staffed tiers (every agent's tier but the offline ones') and ``agents``
    need hold only the free ones.
    """
    derived: set[int] = set()
    free_by_tier: dict[int, list[Agent]] = {}
    for a in agents:
        if a.status != OFFLINE:
            derived.add(a.tier)
        if a.status == AVAILABLE:
            free_by_tier.setdefault(a.tier, []).append(a)
    if not free_by_tier or not waiting:
        return []
    if staffed is None:
        staffed = derived
    tiers = [_FreeTier(t, free, _cutoffs(t, now, rules, staffed))
             for t, free in sorted(free_by_tier.items())]
    left = sum(len(t.agents) for t in tiers)
    pairs: list[tuple[Waiting, Agent]] = []
    for w in (waiting if presorted else in_order(waiting)):
        best: Agent | None = None
        home: _FreeTier | None = None
        for t in tiers:
            if not t.agents or w.joined_at > t.cut.get(w.tier, _NEVER):
                continue
            candidate = t.take(w.category)
            if candidate is not None and (
                    best is None or (candidate.idle_since, candidate.id)
                    < (best.idle_since, best.id)):
                best, home = candidate, t
        if best is None or home is None:
            continue
        pairs.append((w, best))
        home.agents.remove(best)
        left -= 1
        if not left:
            break
    return pairs
