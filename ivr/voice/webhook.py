"""The one way a Twilio webhook runs.

``@webhook(rule)`` registers a handler on the voice blueprint and gives it what every webhook
needs: the X-Twilio-Signature checked (403 otherwise), the CallSid required where the handler
says so, one database transaction around the handler (committed before the TwiML is returned,
so every promise the TwiML speaks is durable first), and on any failure a rollback, a log line
and the fallback TwiML: a caller always hears something, never an HTTP 500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import wraps
from typing import Any

from babel.languages import get_official_languages
from flask import Flask, Response, current_app, g, request, url_for
from sqlalchemy import literal, select
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from tickets import phones
from tickets.db import READS_FIRST, begin_reading, begin_writing

from .. import clock, db
from . import bp, params, replies, spool, twiml
from .calls import LineConfig
from .replies import Replay
from .security import twilio_signed

log = logging.getLogger(__name__)

FAILED = "webhook_failed"  # flask.g: the handler failed and the caller heard the fallback


@dataclass(frozen=True)
class Hook:
    """One webhook request as a handler sees it: Twilio's parameters, the transaction, the time."""

    session: Session
    form: dict[str, str]
    args: dict[str, str]
    now: datetime
    read: Any = None  # what the webhook's ``first_read`` read besides the kept answer

    @property
    def call_sid(self) -> str:
        return self.form.get("CallSid", "")

    @property
    def key(self) -> str:
        """The first key the caller pressed ("" for none)."""
        return (self.form.get("Digits") or "")[:1]

    def number(self, name: str, source: str = "args") -> int | None:
        """A whole number from the query (or the form): None when absent, not a number or
        more than the database holds."""
        return params.whole_number((self.args if source == "args" else self.form).get(name))


Handler = Callable[[Hook], str]
# A webhook's first statement when it reads more than the kept answer (in the same statement):
# (session, the request's key, the hook) -> (the answer kept for the key or None, the rest).
FirstRead = Callable[[Session, str, Hook], tuple[str | None, Any]]


@dataclass(frozen=True)
class Spoolable:
    """A webhook that is kept in the spool when the database is down."""

    handler: Handler
    replay: Replay


SPOOLABLE: dict[str, Spoolable] = {}  # by endpoint


def xml(body: str) -> Response:
    return Response(body, status=200, mimetype="text/xml")


def outage_words() -> tuple[str, twiml.Outage]:
    """The language of a call the line cannot serve (needs no database): the main official
    language of the caller's country when the line speaks it, else the default language
    (whose apology and voice are FALLBACK_MESSAGE and FALLBACK_VOICE)."""
    cfg = current_app.config
    default = cfg["DEFAULT_LANGUAGE"] if cfg["DEFAULT_LANGUAGE"] in twiml.OUTAGE else "en-US"
    region = phones.region_of(phones.to_e164(request.form.get("From")))
    spoken = get_official_languages(region, de_facto=True) if region else ()
    language = next((code for code in twiml.OUTAGE
                     if spoken and code.split("-")[0] == spoken[0]), default)
    if language == default:
        return language, replace(twiml.OUTAGE[language], sorry=cfg["FALLBACK_MESSAGE"],
                                 voice=cfg["FALLBACK_VOICE"])
    return language, twiml.OUTAGE[language]


def fallback_twiml() -> str:
    """The apology said when the line cannot serve a call (needs no database), in the
    caller's language when their number's country tells it."""
    cfg = current_app.config
    language, words = outage_words()
    return twiml.apology(words, language, cfg["EMERGENCY_NUMBER"],
                         url_for("voice.fallback_voicemail"))


_PATHS = "ivr.voice.paths"  # app.extensions: the paths line_config names, by mount point


def _paths() -> tuple[str, str, str]:
    """The step, queue and connect webhooks' paths where the app is mounted (each built once:
    the URL map does not change while the app serves)."""
    built = current_app.extensions.setdefault(_PATHS, {})
    paths = built.get(request.script_root)
    if paths is None:
        paths = built[request.script_root] = (
            url_for("voice.step"), url_for("voice.queue_arrive"),
            url_for("voice.outbound_connect"))
    return paths


def line_config(script_version_id: int | None = None) -> LineConfig:
    """What running a call needs from the app: names, languages, the webhooks' paths."""
    cfg = current_app.config
    step_url, queue_url, connect_url = _paths()
    return LineConfig(
        script_version_id=script_version_id,
        helpdesk_name={**cfg["HELPDESK_NAMES"], cfg["DEFAULT_LANGUAGE"]: cfg["HELPDESK_NAME"]},
        default_language=cfg["DEFAULT_LANGUAGE"],
        script_name=cfg["INTAKE_SCRIPT"],
        step_url=step_url,
        queue_url=queue_url,
        connect_url=connect_url,
    )


def _raced(session: Session, key: str | None) -> str | None:
    """After a unique clash: the answer a simultaneous copy of this request committed first."""
    if key is None:
        return None
    try:
        earlier = replies.earlier_reply(session, key)
        session.rollback()
        return earlier
    except Exception:  # noqa: BLE001  the database is failing: the caller hears the fallback
        session.rollback()
        return None


def database_unavailable(exc: BaseException) -> bool:
    """Did this fail because the database cannot be reached (down, hung, restarting)?"""
    return isinstance(exc, OperationalError | InterfaceError | PoolTimeout) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated)


_PROBE = select(literal(1))  # a request's first statement when it reads no kept answer


def _first_statement(session: Session, key: str | None, hook: Hook,
                     first_read: FirstRead | None = None) -> tuple[str | None, Any]:
    """The request's first statement (the kept answer's lookup, with what ``first_read`` reads
    besides). A pooled connection found dead (the database restarted since) is replaced once:
    nothing was applied yet."""
    for last in (False, True):
        try:
            if key is None:
                session.connection().execute(_PROBE)
                return None, None
            if first_read is not None:
                return first_read(session, key, hook)
            return replies.earlier_reply(session, key), None
        except DBAPIError as exc:
            session.rollback()
            if last or not exc.connection_invalidated:
                raise
            log.warning("database connection lost since it was pooled; trying a new one")
    return None, None


def webhook(rule: str, *, needs_call_sid: bool = False,
            missing: Callable[[], str] = fallback_twiml,
            on_failure: Callable[[], str] = fallback_twiml,
            replay: Replay = Replay.REQUEST,
            spooled: Callable[[], str] | None = None,
            reads_first: bool = False,
            first_read: FirstRead | None = None) -> Callable[[Handler], Handler]:
    """Register ``handler`` as the signed POST webhook at ``rule`` (see the module's doc).

    needs_call_sid: without a CallSid the request gets ``missing()`` and touches nothing.
    on_failure: what the caller hears when the handler or the commit fails.
    replay: which requests are repeats of one another (``replies.Replay``).
    spooled: for a webhook carrying data, what Twilio is answered when the database is down
    and the request is kept in the spool instead (None: never spooled).
    reads_first: the handler reads and computes before it writes, holding no write lock
    meanwhile (``tickets.db.begin_reading``); it calls ``begin_writing`` before its first
    write and guards what it writes against what changed since it read.
    first_read: the request's first statement reads the kept answer and what the handler
    needs first, in one round trip (``FirstRead``); the handler finds the rest in ``hook.read``.
    """

    def decorate(handler: Handler) -> Handler:
        if spooled is not None:
            SPOOLABLE[f"{bp.name}.{handler.__name__}"] = Spoolable(handler, replay)

        @wraps(handler)
        def view() -> Response:
            form = params.checked(request.form.to_dict())  # nothing unchecked goes further
            if needs_call_sid and not form.get("CallSid"):
                return xml(missing())
            session = db.session()
            hook = Hook(session, form, params.checked(request.args.to_dict()), clock.now())
            key = None if replay == Replay.NONE else replies.request_key(
                replay, hook.call_sid, request.full_path.rstrip("?"),
                request.form.items(multi=True))
            try:
                body = _answer(hook, key, handler, reads_first, first_read)
            except Exception as exc:  # noqa: BLE001  a caller must hear something, never a 500
                session.info.pop(READS_FIRST, None)
                session.rollback()
                body = _after_failure(exc, hook, key, replay, spooled, on_failure)
            return xml(body)

        bp.post(rule)(twilio_signed(view))
        return handler

    return decorate


def _answer(hook: Hook, key: str | None, handler: Handler, reads_first: bool,
            first_read: FirstRead | None = None) -> str:
    """The handler's answer, committed with the reply kept under ``key``; a repeat gets the
    answer kept the first time, and nothing is applied again."""
    session = hook.session
    if reads_first:
        begin_reading(session)  # connects: a database down is answered by the caller's except
    earlier, read = _first_statement(session, key, hook, first_read)
    if earlier is not None:
        session.rollback()
        return earlier
    body = handler(replace(hook, read=read) if read is not None else hook)
    begin_writing(session)
    if key:
        replies.keep_reply(session, key, body, hook.now)
    session.commit()
    return body


def _after_failure(exc: Exception, hook: Hook, key: str | None, replay: Replay,
                   spooled: Callable[[], str] | None, on_failure: Callable[[], str]) -> str:
    """What Twilio is answered when the handler or the commit failed (rolled back): the
    stored answer of a repeat that raced this one, the spooled answer while the database is
    down, else ``on_failure()`` (logged, without the request's data)."""
    earlier = _raced(hook.session, key) if isinstance(exc, IntegrityError) else None
    if earlier is not None:
        return earlier
    if spooled is not None and database_unavailable(exc) and _spool(hook, replay):
        return spooled()
    setattr(g, FAILED, True)
    log.exception("webhook %s failed", request.path)
    return on_failure()


def _spool(hook: Hook, replay: Replay) -> bool:
    """Keep this request in the spool (the database is down); False if even that failed."""
    key = replies.request_key(replay if replay != Replay.NONE else Replay.REQUEST,
                              hook.call_sid, request.full_path.rstrip("?"),
                              request.form.items(multi=True))
    try:
        spool.keep(current_app.config["SPOOL_DIR"], key, request.endpoint or "",
                   request.full_path.rstrip("?"), request.form.items(multi=True), hook.now)
    except OSError:
        log.exception("webhook %s: the database is down and the spool cannot be written",
                      request.path)
        return False
    log.warning("webhook %s kept in the spool: the database is unavailable", request.path)
    return True


def replay_spool(app: Flask) -> int:
    """Apply the webhooks kept in the spool while the database was down, oldest first, each
    exactly once (a request already applied, by Twilio repeating it, is not applied again).
    Stops at the first sign the database is still down. Returns how many were applied."""
    applied = 0
    for item in spool.waiting(app.config["SPOOL_DIR"]):
        spoolable = SPOOLABLE.get(item.endpoint)
        if spoolable is None:
            log.error("spooled request %s: no webhook %s to replay it", item.key, item.endpoint)
            spool.set_aside(item)
            continue
        base = app.config["PUBLIC_BASE_URL"]
        with app.test_request_context(item.path, base_url=base, method="POST",
                                      data=MultiDict(item.form)):
            session = app.extensions["sessionmaker"]()
            try:
                if replies.earlier_reply(session, item.key) is None:
                    hook = Hook(session, params.checked(MultiDict(item.form).to_dict()),
                                params.checked(request.args.to_dict()), item.received)
                    body = spoolable.handler(hook)
                    replies.keep_reply(session, item.key, body, item.received)
                    session.commit()
                    applied += 1
                spool.done(item)
            except Exception as exc:  # noqa: BLE001  one bad request must not block the rest
                session.rollback()
                if database_unavailable(exc):
                    log.warning("spool: the database is still unavailable")
                    break
                log.exception("spooled request %s to %s failed; set aside", item.key,
                              item.endpoint)
                spool.set_aside(item)
            finally:
                session.close()
    return applied
