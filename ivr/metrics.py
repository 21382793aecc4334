"""/metrics in the Prometheus text format, on the app's own registry (never the global one):

- the line's live state, read from the database at scrape time by a custom collector (callers
  waiting, analysts, the dispatcher's backlog, and what it did with the calls it claimed:
  ``helpdesk_dispatcher_calls_total``, counted by every scheduler in the database);
- each Twilio webhook's latency (a histogram per route) and errors, counted by the process that
  served it. Under gunicorn every worker writes its figures to PROMETHEUS_MULTIPROC_DIR (set by
  ivr/gunicorn.conf.py) and a scrape, whichever worker takes it, adds them all up
  (prometheus-client's multiprocess mode).

Protected by an API token with the ``queues:read`` scope, for every tier; in prometheus.yml::

    authorization: {type: Bearer, credentials_file: /etc/prometheus/helpdesk.token}
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import HTTPException

from tickets.models import Call, OutboundCall, QueueEntry
from tickets.statuses import AGENT_STATUSES, OUTBOUND_KINDS, OutboundStatus, QueueStatus
from tickets.workflow import MAX_TIER

from . import clock
from .outbound import tally
from .voice.webhook import FAILED

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
WEBHOOKS = "voice"  # the blueprint of Twilio's webhooks
# Twilio waits 15 s for a webhook, then plays the fallback URL (gunicorn replaces a worker stuck
# for 10 s): fine buckets under a second, where webhooks live, and enough from 1 to 15 s that a
# p99 drifting towards Twilio's limit shows.
WEBHOOK_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 12.5, 15.0,
                   float("inf"))
TIERS = range(1, MAX_TIER + 1)
LIVE_CALL_STATUSES = ("queued", "ringing", "in-progress")
ANSWER_WINDOW_SECONDS = 3600


def _families() -> dict[str, Any]:
    return {
        "calls": GaugeMetricFamily(
            "helpdesk_calls_in_progress", "Calls on the line now (not yet ended).",
            labels=["direction"]),
        "size": GaugeMetricFamily(
            "helpdesk_queue_size", "Callers holding in a tier's queue.", labels=["tier"]),
        "callbacks": GaugeMetricFamily(
            "helpdesk_queue_callbacks_pending",
            "Callbacks promised for a tier and not yet placed.", labels=["tier"]),
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
        "dispatched": CounterMetricFamily(
            "helpdesk_dispatcher_calls",
            "Calls the dispatchers claimed, by kind and outcome: placed, adopted (found placed "
            "after an interrupted request), retried, failed, refused, canceled, deferred.",
            labels=["kind", "outcome"]),
    }


class HelpdeskCollector:
    """Reads the database on every collect() (a scrape); describe() touches nothing."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime]):
        self.sessions = sessions
        self.clock = clock

    def describe(self) -> Iterator[Metric]:
        yield from _families().values()

    def collect(self) -> Iterator[Metric]:
        families = _families()  # (tickets.queries is loaded by the first scrape)
        with self.sessions() as session:
            self._fill(session, self.clock(), families)
        yield from families.values()

    @staticmethod
    def _fill(session: Session, now: datetime, f: dict[str, Any]) -> None:
        calls = dict(session.execute(
            select(Call.direction, func.count())
            .where(Call.ended_at.is_(None), Call.status.in_(LIVE_CALL_STATUSES))
            .group_by(Call.direction)).all())
        for direction in ("inbound", "outbound"):
            f["calls"].add_metric([direction], calls.get(direction, 0))
        _queues(session, now, f)
        _answer_speed(session, now, f)
        from tickets import queries

        staff = queries.agents_by_status(session)
        for tier in sorted({t for t, _ in staff} | set(TIERS)):
            for status in AGENT_STATUSES:
                f["agents"].add_metric([str(tier), status], staff.get((tier, status), 0))
        _backlog(session, now, f)
        done = tally.totals(session)
        for kind in sorted(set(OUTBOUND_KINDS) | {k for k, _ in done}):
            for outcome in tally.Outcome:
                f["dispatched"].add_metric([kind, outcome.value], done.get((kind, outcome), 0))


def _queues(session: Session, now: datetime, f: dict[str, GaugeMetricFamily]) -> None:
    """Who waits in each tier (tickets.queries' rule, as the console and the API count them)."""
    from tickets import queries

    waits: dict[int, list[float]] = {tier: [] for tier in TIERS}
    for caller in queries.waiting_callers(session):
        waits.setdefault(caller.tier, []).append(caller.waited(now))
    for tier, waited in sorted(waits.items()):
        label = [str(tier)]
        f["size"].add_metric(label, len(waited))
        f["longest"].add_metric(label, max(waited, default=0.0))
        f["average"].add_metric(label, sum(waited) / len(waited) if waited else 0.0)
    callbacks = queries.pending_callbacks(session)
    for tier in sorted(set(TIERS) | set(callbacks)):
        f["callbacks"].add_metric([str(tier)], callbacks.get(tier, 0))


def _answer_speed(session: Session, now: datetime, f: dict[str, GaugeMetricFamily]) -> None:
    """Average speed of answer per tier over the last hour."""
    since = now.timestamp() - ANSWER_WINDOW_SECONDS
    answered: dict[int, list[float]] = {tier: [] for tier in TIERS}
    for tier, wait, ended in session.execute(
            select(QueueEntry.tier, QueueEntry.actual_wait, QueueEntry.ended_at)
            .where(QueueEntry.status == QueueStatus.DONE, QueueEntry.actual_wait.is_not(None),
                   QueueEntry.ended_at.is_not(None))):
        if ended is not None and wait is not None and ended.timestamp() >= since:
            answered.setdefault(tier, []).append(wait)
    for tier, waits in sorted(answered.items()):
        f["asa"].add_metric([str(tier)], sum(waits) / len(waits) if waits else 0.0)


def _backlog(session: Session, now: datetime, f: dict[str, GaugeMetricFamily]) -> None:
    """Outbound calls due and not yet placed, by kind, and how overdue the oldest is."""
    due = session.execute(
        select(OutboundCall.kind, func.count(), func.min(OutboundCall.due_at))
        .where(OutboundCall.status == OutboundStatus.PENDING, OutboundCall.due_at <= now)
        .group_by(OutboundCall.kind)).all()
    backlog = {kind: (n, oldest) for kind, n, oldest in due}
    for kind in sorted(set(OUTBOUND_KINDS) | set(backlog)):
        f["backlog"].add_metric([kind], backlog.get(kind, (0, None))[0])
    oldest = [o for _, o in backlog.values() if o is not None]
    f["oldest"].add_metric([], (now - min(oldest)).total_seconds() if oldest else 0.0)


class WebhookMetrics:
    """Each webhook's latency and errors, labelled by its route (``/voice/step``)."""

    def __init__(self) -> None:
        self.latency = Histogram(
            "helpdesk_webhook_duration_seconds",
            "Time to answer a Twilio webhook, by route (Twilio gives up at 15 s).",
            ["route"], buckets=WEBHOOK_BUCKETS, registry=None)
        self.errors = Counter(
            "helpdesk_webhook_errors",
            "Webhooks that went wrong, by route: failed (the caller heard the apology), "
            "refused (bad signature), server_error (HTTP 5xx), twilio_fallback (Twilio got no "
            "good answer from that route and called the fallback URL).",
            ["route", "error"], registry=None)

    def register(self, registry: CollectorRegistry) -> None:
        registry.register(self.latency)
        registry.register(self.errors)

    def started(self) -> None:
        if request.blueprint == WEBHOOKS:
            g.webhook_started = time.perf_counter()

    def finished(self, response: Response) -> Response:
        started = g.pop("webhook_started", None)
        if started is None or request.url_rule is None:
            return response
        route = request.url_rule.rule
        self.latency.labels(route).observe(time.perf_counter() - started)
        error = ("server_error" if response.status_code >= 500 else
                 "refused" if response.status_code in (401, 403) else
                 "failed" if g.get(FAILED) else None)
        if error:
            self.errors.labels(route, error).inc()
        if request.endpoint == f"{WEBHOOKS}.fallback" and response.status_code == 200:
            self.errors.labels(_route_of(request.form.get("ErrorUrl")), "twilio_fallback").inc()
        return response


def _route_of(url: str | None) -> str:
    """The route of one of our URLs (a fallback's ErrorUrl), or "unknown"."""
    path = urlsplit(url or "").path.removeprefix(request.script_root)
    try:
        rule, _ = current_app.url_map.bind("localhost").match(path, method="POST",
                                                              return_rule=True)
    except HTTPException:
        return "unknown"
    return rule.rule


def is_multiprocess() -> bool:
    """Several processes serve the app (gunicorn): their figures are in files to add up."""
    return bool(os.environ.get(MULTIPROC_DIR))


def register_metrics(app: Flask) -> None:
    """The app's own registry with the help-desk collector and the webhooks' figures (this
    process's, or every worker's in multiprocess mode), and the /metrics route."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(HelpdeskCollector(app.extensions["sessionmaker"], clock.of(app)))
    webhooks = WebhookMetrics()
    if is_multiprocess():
        Path(os.environ[MULTIPROC_DIR]).mkdir(parents=True, exist_ok=True)
        multiprocess.MultiProcessCollector(registry)
    else:
        webhooks.register(registry)
    app.before_request(webhooks.started)
    app.after_request(webhooks.finished)
    app.extensions["metrics_registry"] = registry
    app.extensions["webhook_metrics"] = webhooks

    @app.get("/metrics")
    def metrics() -> Response:
        from .api.auth import authenticate  # the API's tokens; the API loads on first scrape

        refused = authenticate("queues:read", all_tiers=True)
        if refused is not None:
            return refused
        return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
