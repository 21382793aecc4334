"""/metrics in the Prometheus text format: the line's live state, read from the database at
scrape time by a custom collector on the app's own registry (never the global default one).

Protected by an API token; in prometheus.yml::

    authorization: {type: Bearer, credentials_file: /etc/prometheus/helpdesk.token}
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from flask import Flask, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tickets.models import Agent, Call, OutboundCall, QueueEntry
from tickets.statuses import AGENT_STATUSES
from tickets.workflow import MAX_TIER

LIVE_CALL_STATUSES = ("queued", "ringing", "in-progress")
ANSWER_WINDOW_SECONDS = 3600


def _families() -> dict[str, GaugeMetricFamily]:
    return {
        "calls": GaugeMetricFamily(
            "helpdesk_calls_in_progress", "Calls on the line now (not yet ended).",
            labels=["direction"]),
        "size": GaugeMetricFamily(
            "helpdesk_queue_size", "Callers holding in a tier's queue.", labels=["tier"]),
        "longest": GaugeMetricFamily(
            "helpdesk_queue_longest_wait_seconds",
            "How long the longest-waiting caller of a tier has waited.", labels=["tier"]),
        "average": GaugeMetricFamily(
            "helpdesk_queue_average_wait_seconds",
            "Mean time waited so far by the callers holding in a tier.", labels=["tier"]),
        "asa": GaugeMetricFamily(
            "helpdesk_queue_answer_wait_seconds_average",
            "Average speed of answer over the last hour, per tier.", labels=["tier"]),
        "agents": GaugeMetricFamily(
            "helpdesk_agents", "Analysts by tier and status.", labels=["tier", "status"]),
        "backlog": GaugeMetricFamily(
            "helpdesk_dispatcher_backlog",
            "Outbound calls due and not yet placed (pending), by kind.", labels=["kind"]),
        "oldest": GaugeMetricFamily(
            "helpdesk_dispatcher_oldest_due_seconds",
            "How overdue the oldest pending outbound call is (0 with none)."),
    }


class HelpdeskCollector:
    """Reads the database on every collect() (a scrape); describe() touches nothing."""

    def __init__(self, sessions: sessionmaker, clock: Callable[[], datetime]):
        self.sessions = sessions
        self.clock = clock

    def describe(self) -> Iterator[Metric]:
        yield from _families().values()

    def collect(self) -> Iterator[Metric]:
        families = _families()
        with self.sessions() as session:
            self._fill(session, self.clock(), families)
        yield from families.values()

    @staticmethod
    def _fill(session: Session, now: datetime, f: dict[str, GaugeMetricFamily]) -> None:
        calls = dict(session.execute(
            select(Call.direction, func.count())
            .where(Call.ended_at.is_(None), Call.status.in_(LIVE_CALL_STATUSES))
            .group_by(Call.direction)).all())
        for direction in ("inbound", "outbound"):
            f["calls"].add_metric([direction], calls.get(direction, 0))

        joined: dict[int, list[float]] = {tier: [] for tier in range(1, MAX_TIER + 1)}
        for tier, at in session.execute(
                select(QueueEntry.tier, QueueEntry.joined_at)
                .where(QueueEntry.status == "waiting", QueueEntry.consent.is_(True))):
            joined.setdefault(tier, []).append(max(0.0, (now - at).total_seconds()))
        for tier, waits in sorted(joined.items()):
            label = [str(tier)]
            f["size"].add_metric(label, len(waits))
            f["longest"].add_metric(label, max(waits, default=0.0))
            f["average"].add_metric(label, sum(waits) / len(waits) if waits else 0.0)

        since = now.timestamp() - ANSWER_WINDOW_SECONDS
        answered: dict[int, list[float]] = {tier: [] for tier in range(1, MAX_TIER + 1)}
        for tier, wait, ended in session.execute(
                select(QueueEntry.tier, QueueEntry.actual_wait, QueueEntry.ended_at)
                .where(QueueEntry.status == "done", QueueEntry.actual_wait.is_not(None),
                       QueueEntry.ended_at.is_not(None))):
            if ended.timestamp() >= since:
                answered.setdefault(tier, []).append(wait)
        for tier, waits in sorted(answered.items()):
            f["asa"].add_metric([str(tier)], sum(waits) / len(waits) if waits else 0.0)

        staff = {(tier, status): n for tier, status, n in session.execute(
            select(Agent.tier, Agent.status, func.count()).group_by(Agent.tier, Agent.status))}
        tiers = sorted({t for t, _ in staff} | set(range(1, MAX_TIER + 1)))
        for tier in tiers:
            for status in AGENT_STATUSES:
                f["agents"].add_metric([str(tier), status], staff.get((tier, status), 0))

        due = session.execute(
            select(OutboundCall.kind, func.count(), func.min(OutboundCall.due_at))
            .where(OutboundCall.status == "pending", OutboundCall.due_at <= now)
            .group_by(OutboundCall.kind)).all()
        backlog = {kind: (n, oldest) for kind, n, oldest in due}
        for kind in sorted({"callback", "status_update", "closure"} | set(backlog)):
            f["backlog"].add_metric([kind], backlog.get(kind, (0, None))[0])
        oldest = [o for _, o in backlog.values() if o is not None]
        f["oldest"].add_metric([], (now - min(oldest)).total_seconds() if oldest else 0.0)


def register_metrics(app: Flask) -> None:
    """The app's own registry with the help-desk collector, and the /metrics route."""
    from . import clock
    from .api.auth import authenticate

    registry = CollectorRegistry(auto_describe=True)
    registry.register(HelpdeskCollector(app.extensions["sessionmaker"],
                                        lambda: app.extensions.get("clock", clock.utcnow)()))
    app.extensions["metrics_registry"] = registry

    @app.get("/metrics")
    def metrics() -> Response:
        refused = authenticate()
        if refused is not None:
            return refused
        return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
