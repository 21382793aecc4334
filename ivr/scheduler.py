"""`flask ivr scheduler`: the one process that runs timed work (APScheduler, blocking).

Jobs: the outbound dispatcher, the outbox (webhooks, SMS), the routing safety sweep, the SLA
sweep, the status-call cadence, the replay of webhooks spooled while the database was down, and
daily housekeeping. On SQLite only one scheduler may run per database (a lock file beside it
says who holds it); on PostgreSQL several may run: one dials (the holder of the dialling lock,
``outbound.leader``) and the others stand by to take over; the outbox and the sweeps share rows
through leases, row locks and SKIP LOCKED.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from tickets.versions import live_policy

from . import clock, health, twilio_rest
from .outbound import sweeps
from .outbound.dispatcher import Dispatcher, Settings
from .outbound.leader import DiallingLock
from .outbox import notices, sms
from .outbox.connectors.channel import ConnectorChannel
from .outbox.connectors.planner import ConnectorPlanner
from .outbox.deliverer import Deliverer
from .outbox.fanout import fan_out
from .outbox.webhooks import WebhookChannel
from .voice import replies, webhook

log = logging.getLogger(__name__)

INTERVALS = {"dispatch": 5, "outbox": 5, "heartbeat": 60, "route": 15, "sla": 60,
             "cadence": 300, "spool": 15}  # s


class SchedulerRefused(Exception):
    """Another scheduler already serves this database."""


def sqlite_lock(database_url: str) -> IO[str] | None:
    """Hold the lock file of a SQLite database's scheduler (None for other databases).
    The operating system releases it when the process ends, however it ends."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database).with_suffix(".scheduler.lock")
    handle = open(path, "a+")  # noqa: SIM115  kept open for the life of the process
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise SchedulerRefused(
            f"a scheduler is already running for this SQLite database ({holder}); SQLite "
            "allows one per database. Stop it first, or use PostgreSQL to run several."
        ) from None
    handle.truncate(0)
    handle.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
    handle.flush()
    return handle


TWILIO_TIMEOUT = 15  # seconds; well inside the lease, so a hung request cannot outlive it


def twilio_client(app: Flask) -> Callable[[], Client]:
    return lambda: twilio_rest.make_client(app.config, timeout=TWILIO_TIMEOUT)


def make_dispatcher(app: Flask, owner: str | None = None, dialling_lock: bool = True,
                    **options: Any) -> Dispatcher:
    """A dispatcher for this app's database, Twilio account and live policy; it dials only
    while it holds the dialling lock, unless told not to take one (a test of the claims)."""
    cfg = app.config
    return Dispatcher(
        sessions=app.extensions["sessionmaker"],
        settings=Settings(public_base_url=cfg["PUBLIC_BASE_URL"],
                          from_number=cfg["TWILIO_PHONE_NUMBER"]),
        client_factory=options.pop("client_factory", None) or twilio_client(app),
        owner=owner or f"{socket.gethostname()}:{os.getpid()}",
        policy=live_policy, clock=clock.of(app),
        lock=DiallingLock(app.extensions["engine"]) if dialling_lock else None, **options)


def make_deliverer(app: Flask, owner: str | None = None, **options: Any) -> Deliverer:
    """The outbox's deliverer for this app's database and integrations."""
    integrations = app.extensions["integrations"]
    texting = sms.SmsChannel(integrations.sms, sms.line_of(app.config), twilio_client(app))
    return Deliverer(
        sessions=app.extensions["sessionmaker"],
        channels={"webhook": WebhookChannel(integrations), "sms": texting,
                  "connector": ConnectorChannel(integrations)},
        fan_out=fan_out(integrations, sms.planner(integrations.sms, app.config),
                        ConnectorPlanner(integrations.connectors)),
        owner=owner or f"{socket.gethostname()}:{os.getpid()}", clock=clock.of(app),
        settled=notices.settled, **options)


Work = Callable[[Flask, Session, datetime], Any]  # a pass of a job: (app, session, now)


def job(app: Flask, name: str, work: Work) -> Callable[[], None]:
    """A job: run one pass of work in one transaction, at the app's time; log, never die."""
    def run_pass() -> None:
        with app.extensions["sessionmaker"]() as session:
            try:
                result = work(app, session, clock.of(app)())
                session.commit()
                if result:
                    log.info("%s: %s", name, result)
            except Exception:  # noqa: BLE001  one failed pass must not stop the scheduler
                session.rollback()
                log.exception("%s failed", name)

    return run_pass


def heartbeat(app: Flask, session: Session, now: datetime) -> None:
    """Tell /readyz this scheduler is alive."""
    health.beat(session, now)


def route_sweep(app: Flask, session: Session, now: datetime) -> int:
    """Bridge waiting callers to free analysts (a safety net beside the hold passes)."""
    return twilio_rest.router(app).route_now(session, now)


def sla_sweep(app: Flask, session: Session, now: datetime) -> int:
    return sweeps.sla_sweep(session, now, live_policy(session))


def cadence_sweep(app: Flask, session: Session, now: datetime) -> int:
    return sweeps.status_cadence(session, now, live_policy(session))


def spool_replay(app: Flask) -> None:
    """Apply the webhooks kept in the spool while the database was down (each once)."""
    try:
        applied = webhook.replay_spool(app)
        if applied:
            log.info("spool: %s webhook(s) applied", applied)
    except Exception:  # noqa: BLE001  one failed pass must not stop the scheduler
        log.exception("spool replay failed")


def housekeeping(app: Flask) -> Work:
    """Settle placed calls whose final status never came, asking Twilio how they ended, and
    forget webhook answers kept for repeats once no repeat can come."""
    client = twilio_client(app)

    def fetch(sid: str) -> str | None:
        try:
            return client().calls(sid).fetch().status
        except TwilioException as exc:
            log.warning("could not look up call %s: %s", sid, exc)
            return None

    def work(_app: Flask, session: Session, now: datetime) -> int:
        replies.forget_old_replies(session, now)
        return sweeps.reconcile(session, now, fetch)

    return work


def build(app: Flask, dispatcher: Dispatcher | None = None,
          deliverer: Deliverer | None = None) -> BlockingScheduler:
    """The scheduler with every job; started by ``run``."""
    dispatcher = dispatcher or make_dispatcher(app)
    deliverer = deliverer or make_deliverer(app)
    scheduler = BlockingScheduler(timezone=UTC, job_defaults={"coalesce": True,
                                                              "max_instances": 1})

    def dispatch() -> None:
        try:
            handled = dispatcher.run_until_idle()
            if handled:
                log.info("dispatch: %s call(s) handled", handled)
        except Exception:  # noqa: BLE001
            log.exception("dispatch failed")

    def deliver() -> None:
        try:
            handled = deliverer.run_until_idle(max_ticks=100)
            if handled:
                log.info("outbox: %s message(s) handled", handled)
        except Exception:  # noqa: BLE001
            log.exception("outbox delivery failed")

    scheduler.add_job(deliver, "interval", seconds=INTERVALS["outbox"], id="outbox",
                      name="outbox")
    scheduler.add_job(job(app, "heartbeat", heartbeat), "interval",
                      seconds=INTERVALS["heartbeat"], id="heartbeat", name="heartbeat",
                      next_run_time=datetime.now(UTC))
    jobs = {"route": route_sweep, "sla": sla_sweep, "cadence": cadence_sweep}
    scheduler.add_job(dispatch, "interval", seconds=INTERVALS["dispatch"], id="dispatch",
                      name="outbound dispatcher")
    for name, work in jobs.items():
        scheduler.add_job(job(app, name, work), "interval", seconds=INTERVALS[name],
                          id=name, name=f"{name} sweep")
    scheduler.add_job(spool_replay, "interval", args=[app], seconds=INTERVALS["spool"],
                      id="spool", name="spool replay", next_run_time=datetime.now(UTC))
    scheduler.add_job(job(app, "housekeeping", housekeeping(app)), "cron", hour=3,
                      id="housekeeping", name="housekeeping")
    return scheduler


def run(app: Flask) -> None:
    """Run the scheduler until stopped (Ctrl-C or SIGTERM)."""
    # APScheduler logs every run of every job at INFO; the jobs log what they did themselves.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    lock = sqlite_lock(app.config["DATABASE_URL"])
    dispatcher = make_dispatcher(app)
    deliverer = make_deliverer(app)
    scheduler = build(app, dispatcher, deliverer)
    log.info("scheduler started (%s)", ", ".join(f"{k} every {v} s"
                                                 for k, v in INTERVALS.items()))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        dispatcher.close()
        deliverer.close()
        if lock is not None:
            lock.close()
