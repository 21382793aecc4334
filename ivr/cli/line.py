"""`flask ivr scheduler | dispatch | route | spool`: the line's background work, run as its
own process or once by hand."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..clock import of
from ..twilio_rest import router
from ..voice.webhook import replay_spool
from .session import open_session

# The scheduler (APScheduler) is imported by its commands only, not by every web worker.


@click.command("scheduler")
@with_appcontext
def scheduler() -> None:
    """Run the scheduler: outbound calls, SLA escalation, status calls, routing sweep."""
    from ..scheduler import SchedulerRefused, run

    try:
        run(current_app._get_current_object())  # type: ignore[attr-defined]
    except SchedulerRefused as exc:
        raise click.ClickException(str(exc)) from None


@click.command("dispatch")
@with_appcontext
def dispatch() -> None:
    """Place every due outbound call now, once (what the scheduler does every few seconds)."""
    from ..scheduler import SchedulerRefused, make_dispatcher, sqlite_lock

    try:
        lock = sqlite_lock(current_app.config["DATABASE_URL"])
    except SchedulerRefused as exc:
        raise click.ClickException(str(exc)) from None
    try:
        dispatcher = make_dispatcher(current_app._get_current_object())  # type: ignore[attr-defined]
        try:
            if dispatcher.lock is not None and not dispatcher.lock.held():
                raise click.ClickException("a scheduler is dialling (it holds the dialling "
                                           "lock): it places the due calls; nothing dialled")
            click.echo(f"{dispatcher.run_until_idle()} outbound call(s) handled")
        finally:
            dispatcher.close()
    finally:
        if lock is not None:
            lock.close()


@click.command("route")
@with_appcontext
def route() -> None:
    """Run one routing pass: bridge waiting callers to free agents (a safety-net sweep)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with open_session() as session:
        click.echo(f"{router(app).route_now(session, of(app)())} caller(s) bridged")


@click.command("spool")
@with_appcontext
def spool() -> None:
    """Apply the webhooks this host kept in its spool while the database was down (each once;
    the scheduler does it every few seconds on its own host)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo(f"{replay_spool(app)} spooled webhook(s) applied")


COMMANDS = (scheduler, dispatch, route, spool)
