"""Logging: text lines by default, JSON lines with LOG_FORMAT=json (python-json-logger).

Every handler set up here masks phone numbers (anything shaped like E.164 or a run of seven or
more digits, in the message, its arguments and any traceback) and, while a request is served,
adds the Twilio ``call_sid`` from the request and the ``ticket`` number once a webhook has put
it with ``about_ticket`` (kept in ``flask.g``).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from flask import Flask, g, has_request_context, request

from tickets.phones import mask_numbers

TICKET_KEY = "ticket_number"  # flask.g's key for the ticket of the call being served
HANDLER_NAME = "ivr"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

mask = mask_numbers  # the one rule, shared with the timelines (tickets.phones)


def about_ticket(number: str | None) -> None:
    """Put this ticket's number on every record logged for the rest of the request (webhooks
    call it when a call opens a ticket or loads one that has one); nothing outside a request."""
    if number and has_request_context():
        setattr(g, TICKET_KEY, str(number))


class MaskPhoneNumbers(logging.Filter):
    """Mask phone numbers in a record's message, arguments and traceback, before any output."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = record.exc_text or logging.Formatter().formatException(
                record.exc_info)
            record.exc_info = None  # formatters would print the unmasked traceback again
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True


class CallContext(logging.Filter):
    """Add ``call_sid`` and ``ticket`` to records logged while a webhook is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            call_sid = request.args.get("CallSid")
            if request.mimetype in FORM_TYPES:
                call_sid = request.form.get("CallSid") or call_sid
            if call_sid:
                record.call_sid = call_sid
            ticket = g.get(TICKET_KEY)
            if ticket:
                record.ticket = str(ticket)
        return True


class TextFormatter(logging.Formatter):
    """The plain format, with the call and ticket appended when known."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(f"{key}={getattr(record, key)}" for key in ("call_sid", "ticket")
                           if getattr(record, key, None))
        if not context:
            return line
        first, newline, rest = line.partition("\n")
        return f"{first} [{context}]{newline}{rest}"


def json_formatter() -> logging.Formatter:
    """One JSON object per line: time, level, logger, message, call_sid, ticket, exc_info."""
    from pythonjsonlogger.json import JsonFormatter  # LOG_FORMAT=json only

    return JsonFormatter("{levelname}{name}{message}", style="{", timestamp="time",
                         rename_fields={"levelname": "level", "name": "logger"})


def handler(log_format: str, stream: Any = None) -> logging.Handler:
    """A stream handler with the format asked for and both filters."""
    out = logging.StreamHandler(stream or sys.stderr)
    out.set_name(HANDLER_NAME)
    out.setFormatter(json_formatter() if log_format == "json" else TextFormatter(TEXT_FORMAT))
    out.addFilter(CallContext())
    out.addFilter(MaskPhoneNumbers())
    return out


def register_logging(app: Flask) -> None:
    """Log to stderr in the configured format. In text format, logging set up by someone
    else (pytest, a host application) and the debug server's are left as they are."""
    cfg = app.config
    root = logging.getLogger()
    ours = [h for h in root.handlers if h.get_name() == HANDLER_NAME]
    others = len(root.handlers) > len(ours)
    if cfg["LOG_FORMAT"] == "json" or not (app.debug or app.testing or others):
        for old in ours:
            root.removeHandler(old)  # a second app in this process: one handler, not two
        root.addHandler(handler(cfg["LOG_FORMAT"]))
        root.setLevel(cfg["LOG_LEVEL"])
    # twilio-python logs each request's parameters (phone numbers) at INFO, urllib3 each
    # request line (a Calls list's ?To=+1...) at DEBUG, and SQLAlchemy's engine statements at
    # INFO and result rows at DEBUG: keep them out, whatever LOG_LEVEL says (the engine's own
    # errors carry no values: tickets.db).
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    # Alembic lists each of its plugins at INFO whenever the schema is checked at start-up.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def gunicorn_logconfig(log_format: str) -> dict[str, Any] | None:
    """gunicorn's own logs (errors, access) in the same JSON format, or None for its default."""
    if log_format != "json":
        return None
    out = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
           "formatter": "json", "filters": ["mask"]}
    return {
        "root": {"level": "INFO", "handlers": []},  # the app adds its own in each worker
        "loggers": {name: {"level": "INFO", "handlers": ["json"], "propagate": False,
                           "qualname": name} for name in ("gunicorn.error", "gunicorn.access")},
        "handlers": {"json": out},
        "formatters": {"json": {"()": "ivr.logs.json_formatter"}},
        "filters": {"mask": {"()": "ivr.logs.MaskPhoneNumbers"}},
    }
