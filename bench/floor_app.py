"""The floor bench/http_load.py --floor serves beside the line and the bare app (`floor_app:app`):
what ANY Twilio webhook that keeps issue 13's promises must do at the least, and nothing of the
line's own work (no script, no intake, no queue, no ORM). For every POST:
- the X-Twilio-Signature check: twilio's RequestValidator over the public URL and the form,
  as the line does it;
- one transaction on an engine made as the line makes its own (tickets.db.make_engine, with the
  line's default SQLITE_SYNCHRONOUS: WAL, NORMAL and BEGIN IMMEDIATE on SQLite), in SQLAlchemy
  Core, the shape the issue's "How" asks of a turn: the call's row read FOR UPDATE (inserted on
  the call's first request), one guarded UPDATE of its turn, one INSERT of a timeline row that
  holds the answer (the request's form), COMMIT: all committed before the answer is returned;
- the answer: the same constant TwiML document the bare app returns (BENCH_BARE_BODY).
Its CPU per request over the bare app's is the cost of the durable write and the signature
alone: the part of the line's cost no implementation of it can cut.

Its two tables (`bench_floor_call`, `bench_floor_event`) are made by http_load.py before the
floor starts (`make_tables`), in the line's database, and go with it.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, Response, abort, request
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tickets.db import make_engine  # noqa: E402

METADATA = MetaData()
CALLS = Table("bench_floor_call", METADATA,
              Column("sid", String(64), primary_key=True),
              Column("turn", Integer, nullable=False))
EVENTS = Table("bench_floor_event", METADATA,
               Column("id", Integer, primary_key=True),
               Column("sid", String(64), ForeignKey("bench_floor_call.sid"), nullable=False),
               Column("turn", Integer, nullable=False),
               Column("at", DateTime(timezone=True), nullable=False),
               Column("answer", Text, nullable=False))

# Built once: a request only binds its values. (A bench replays a recorded call in several
# callers at once: a call's first row is inserted unless there, then read locked.)
_TURN = select(CALLS.c.turn).where(CALLS.c.sid == bindparam("b_sid")).with_for_update()
_NEXT = (update(CALLS).where(CALLS.c.sid == bindparam("b_sid"), CALLS.c.turn == bindparam("b_turn"))
         .values(turn=bindparam("b_next")))
_EVENT = insert(EVENTS)


def make_tables(engine: Engine) -> None:
    METADATA.create_all(engine)


def make_app() -> Flask:
    body = Path(os.environ["BENCH_BARE_BODY"]).read_bytes()
    public = os.environ["PUBLIC_BASE_URL"].rstrip("/")
    validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
    engine = make_engine(os.environ["DATABASE_URL"], "NORMAL")
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    new = (dialect.insert(CALLS).values(sid=bindparam("b_sid"), turn=0)
           .on_conflict_do_nothing())
    app = Flask("floor")

    @app.post("/<path:_path>")
    def answer(_path: str) -> Response:
        url = public + request.full_path.rstrip("?")
        form = request.form
        if not validator.validate(url, form, request.headers.get("X-Twilio-Signature", "")):
            abort(403)
        sid = form.get("CallSid", "")
        with engine.begin() as conn:
            turn = conn.execute(_TURN, {"b_sid": sid}).scalar()
            if turn is None:
                conn.execute(new, {"b_sid": sid})
                turn = conn.execute(_TURN, {"b_sid": sid}).scalar_one()
            conn.execute(_NEXT, {"b_sid": sid, "b_turn": turn, "b_next": turn + 1})
            conn.execute(_EVENT, [{"sid": sid, "turn": turn + 1, "at": datetime.now(UTC),
                                   "answer": json.dumps(form.to_dict())}])
        return Response(body, status=200, mimetype="text/xml")

    @app.get("/healthz")
    def healthz() -> tuple[str, int]:
        return "ok", 200

    return app


if "BENCH_BARE_BODY" in os.environ:
    app = make_app()
