"""Run calls: load the call's row, feed the interpreter, carry out its effects, save the state.

Nothing here knows Flask's request; webhooks pass plain values in and get TwiML out. This is the
one module that changes a ``Call``'s status (Twilio's status callbacks).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from call_scripts import (
    Effect,
    Event,
    Hangup,
    Input,
    Log,
    Queue,
    Recorded,
    Result,
    Script,
    Silence,
    Turn,
    advance,
    start,
)
from tickets import outbox, phones, timeline, versions
from tickets.db import as_loaded, begin_writing, utcnow
from tickets.models import Call, OutboundCall, ScriptVersion, Ticket, WebhookReply
from tickets.outbox import Topic
from tickets.statuses import FINAL_STATUSES, CallStatus

from ..logs import about_ticket
from . import effects, twiml

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LineConfig:
    """What a call needs from the app's configuration."""

    helpdesk_name: str | dict[str, str]  # by language: said in the call's language
    default_language: str
    script_name: str
    step_url: str  # path of the step webhook, e.g. /voice/step
    queue_url: str = ""  # where the intake hands callers to the queues
    connect_url: str = ""  # where an outbound call's callee goes to reach an analyst
    script_version_id: int | None = None  # run this version instead (an admin's draft trial)


def event_from(form: dict[str, str]) -> Event:
    """The interpreter event for a webhook's parameters."""
    if form.get("RecordingUrl"):
        try:
            seconds = int(form.get("RecordingDuration") or 0)
        except ValueError:
            seconds = 0
        return Recorded(url=form["RecordingUrl"], seconds=max(seconds, 0))
    digits = (form.get("Digits") or "").strip()
    speech = (form.get("SpeechResult") or "").strip()
    if not digits and not speech:
        return Silence()
    try:
        confidence = float(form["Confidence"]) if form.get("Confidence") else None
    except ValueError:
        confidence = None
    if confidence is not None and not 0.0 <= confidence <= 1.0:
        confidence = None
    return Input(digits=digits or None, speech=speech or None, confidence=confidence)


# Built once (their SQL and cache keys too): a webhook only binds its values.
_LOCK_WHOLE_CALL = (select(*cast(Table, Call.__table__).columns)
                    .where(Call.sid == bindparam("sid")).with_for_update())
_TAKE_TURN = (update(Call).where(Call.id == bindparam("call_id"))
              .values(state=bindparam("new_state"), language=bindparam("new_language"),
                      turn=bindparam("new_turn"), last_response=bindparam("new_last_response")))
_ADD_CALL = insert(Call).returning(Call.id)


def _as_loaded(session: Session, row: Any) -> Call:
    """The call read in Core (``_LOCK_WHOLE_CALL``) as the session's object, as if the ORM had
    loaded it (without its row handling); the one the session holds already, if it does."""
    held = session.identity_map.get(identity_key(Call, row.id))
    if held is not None:
        return held
    return as_loaded(session, Call(), row._mapping)


def _call_to_answer(session: Session, sid: str) -> Call | str:
    """The call a webhook answers (locked): the row a status callback wrote first, else a new
    ``Call`` whose row ``begin`` writes; or the answer given, if it was answered already."""
    row = session.connection().execute(_LOCK_WHOLE_CALL, {"sid": sid}).first()
    if row is None:
        return Call(sid=sid)
    if row.last_response:
        return row.last_response  # Twilio asked twice: same answer, nothing applied again
    return _as_loaded(session, row)


def answer(session: Session, line: LineConfig, form: dict[str, str], now: datetime) -> str:
    """A new inbound call: create its row, pin its script version and run the first turn."""
    sid = form["CallSid"]
    call = _call_to_answer(session, sid)
    if isinstance(call, str):
        return call
    caller = phones.to_e164(form.get("From"))
    draft = session.get(ScriptVersion, line.script_version_id) if line.script_version_id \
        else None
    version = versions.of_row(draft) if draft else versions.live_script(session,
                                                                          line.script_name)
    call.direction = form.get("Direction") or "inbound"
    call.from_number = caller or form.get("From")
    call.to_number = form.get("To")
    fields: dict[str, Any] = {"helpdesk": line.helpdesk_name}
    if caller:
        fields["caller_id"] = caller
        fields["caller_region"] = phones.region_of(caller)
    return begin(session, call, version, fields, line.default_language, line, "Inbound call "
                 "answered", {"from": caller}, now, announce=True)


def answer_outbound(session: Session, line: LineConfig, form: dict[str, str],
                    outbound: OutboundCall, fields: dict[str, Any], now: datetime) -> str:
    """An outbound call was answered (by a person or a machine): run its script."""
    about_ticket((fields.get("ticket") or {}).get("number"))
    call = _call_to_answer(session, form["CallSid"])
    if isinstance(call, str):
        return call
    call.direction = "outbound-api"
    call.from_number = form.get("From")
    call.to_number = outbound.to_number
    version = versions.live_script(session, outbound.kind)
    who = "a machine" if fields.get("machine") else "the customer"
    return begin(session, call, version, {"helpdesk": line.helpdesk_name, **fields},
                 outbound.language or line.default_language, line,
                 f"Outbound {outbound.kind.replace('_', ' ')} call answered by {who}",
                 {"answered_by": form.get("AnsweredBy"), "outbound_call_id": outbound.id},
                 now, ticket_id=outbound.ticket_id)


@dataclass
class _Unwritten:
    """A new call whose row is not written yet: the timeline lines of its first turn so far
    (their ``call_id`` is set when it is), and whether the caller log hears of it then."""

    events: list[dict[str, Any]]
    announce: bool
    now: datetime


def begin(session: Session, call: Call, version: versions.Live, fields: dict[str, Any],
          language: str, line: LineConfig, what: str, data: dict[str, Any], now: datetime,
          ticket_id: int | None = None, announce: bool = False) -> str:
    """Pin the call to its script version and run the script's first turn. A new call (a
    ``Call`` not in the session) gets its row with the turn, complete in one INSERT, unless
    one of the turn's effects needs the row before (``effects.ROWLESS``). ``announce``: the
    ticket systems' caller log (CTI) hears of the call (``call.started``) once it has a row."""
    call.script_version_id = version.id
    call.script_digest = version.digest
    if call.id is None and call in session:
        session.flush()
    first = [timeline.event_values("call", what, call_id=call.id, ticket_id=ticket_id,
                                   data=data)]
    unwritten = _Unwritten(first, announce, now)
    if call.id is not None:
        _written(session, call, unwritten)
    script = version.parsed
    # Numbers a caller keys to be called back are checked then, by the policy's rule.
    dialling = versions.live_policy(session).outbound.dial_rule()
    turn = start(script, fields, language=language, dialling=dialling)
    return _finish_turn(session, call, script, turn, line, 0, now,
                        unwritten if call.id is None else None)


def _written(session: Session, call: Call, unwritten: _Unwritten) -> None:
    """The call has its row (``call.id``): its lines so far, and its start, told."""
    for event in unwritten.events:
        event["call_id"] = call.id
    if unwritten.announce:
        outbox.add_event(session, Topic.CALL_STARTED, now=unwritten.now,
                         key=f"cti:{call.sid}:started", call_id=call.id)
    if unwritten.events:
        timeline.add_events(session, unwritten.events)


def _write_call(session: Session, call: Call, unwritten: _Unwritten, *, in_session: bool) -> None:
    """Write a new call's row; ``in_session``: through the session (the turn's effects change
    the call from now on), else in one Core INSERT of it complete (the turn is over)."""
    if in_session:
        session.add(call)
        session.flush()
    else:
        call.id = session.connection().execute(_ADD_CALL, {
            "sid": call.sid, "direction": call.direction, "from_number": call.from_number,
            "to_number": call.to_number, "customer_id": call.customer_id,
            "language": call.language, "script_version_id": call.script_version_id,
            "script_digest": call.script_digest, "state": call.state, "turn": call.turn,
            "last_response": call.last_response}).scalar_one()
    _written(session, call, unwritten)


# Built once (their SQL and cache keys too): a turn only binds its values.
_TURN_COLUMNS = (Call.id, Call.turn, Call.state, Call.last_response, Call.script_version_id,
                 Call.script_digest, Call.direction)
_READ_TURN = select(*_TURN_COLUMNS).where(Call.sid == bindparam("sid"))
_LOCK_TURN = _READ_TURN.with_for_update()
# A step's first statement: the answer kept for the request (a repeat) and the call as read,
# in one round trip; one row always (NULLs for what is not there).
_READ_TURN_AND_REPLY = (
    select(WebhookReply.body.label("earlier"), *_TURN_COLUMNS)
    .select_from(select(literal(1).label("one")).subquery())
    .outerjoin(WebhookReply, WebhookReply.request == bindparam("key"))
    .outerjoin(Call, Call.sid == bindparam("sid")))
_SAVE_TURN = (update(Call).where(Call.id == bindparam("call_id"), Call.turn == bindparam("taken"))
              .values(state=bindparam("new_state"), language=bindparam("new_language"),
                      turn=bindparam("new_turn"), last_response=bindparam("new_response")))


@dataclass(frozen=True)
class _Said:
    """A turn without effects, computed from the call as read: what to write if the call is
    still at the turn it was read at."""

    taken: int
    turn: Turn
    body: str
    events: list[dict[str, Any]]
    hands_over: bool


def read_turn(session: Session, sid: str, key: str) -> Any:
    """The answer kept under ``key`` (``earlier``) and the call's turn as read (its columns
    None for an unknown call), in one statement: a step's first."""
    return session.connection().execute(_READ_TURN_AND_REPLY, {"sid": sid, "key": key}).one()


def step(session: Session, line: LineConfig, form: dict[str, str], number: int,
         now: datetime, row: Any = None) -> str | None:
    """The caller answered a prompt (or stayed silent). Returns TwiML, or None if unknown call.

    The turn is computed from the call as read, before any write lock (the webhook begins with
    ``begin_reading``): most turns only say something and add answers to the timeline, and
    those are then written in SQLAlchemy Core (one guarded UPDATE of the call WHERE turn = N,
    one INSERT of the timeline lines), committed by the webhook before the TwiML is returned.
    If the guarded UPDATE matches nothing (a copy of this request applied a turn meanwhile),
    or the turn has an effect (open a ticket, look up the caller, ...), the turn runs again
    from the locked row, through the ORM for effects. ``row``: the call as the request's first
    statement read it (``read_turn``), else it is read here.
    """
    if row is None:
        row = session.connection().execute(_READ_TURN, {"sid": form["CallSid"]}).first()
    if row is None or row.id is None or row.state is None or row.script_version_id is None:
        return None
    about_ticket(ticket_number(row.state))
    if number <= row.turn:
        return row.last_response  # a repeat of a step already taken: replay, apply nothing
    script = versions.script_for_call(session, row.script_version_id, row.script_digest)
    turn = advance(script, row.state, event_from(form))
    said = None if turn.effect is not None else _say(line, row, turn)
    begin_writing(session)
    if said is not None and _apply(session, row.id, said, now):
        return said.body
    return _locked_step(session, line, form, number, now, row.turn, turn)


def _say(line: LineConfig, row: Any, turn: Turn) -> _Said:
    """What a turn without effects says and adds to the timeline (no database)."""
    spoken: list[Any] = []
    events: list[dict[str, Any]] = []
    for action in turn.actions:
        if isinstance(action, Log):
            events.append(timeline.event_values(
                action.kind, action.text, call_id=row.id, step=action.step,
                ticket_id=_current_ticket_id(turn.state), data=action.data))
        elif not isinstance(action, Effect):
            spoken.append(action)
    queue_url = line.queue_url if row.direction == "inbound" else line.connect_url
    body = twiml.render(spoken, f"{line.step_url}?t={row.turn + 2}", queue_url)
    return _Said(row.turn, turn, body, events,
                 row.direction == "inbound" and _hands_over(spoken))


def _apply(session: Session, call_id: int, said: _Said, now: datetime) -> bool:
    """Write a turn computed before the lock, if the call is still where it was read."""
    saved = session.connection().execute(_SAVE_TURN, {
        "call_id": call_id, "taken": said.taken, "new_state": said.turn.state,
        "new_language": said.turn.state["language"], "new_turn": said.taken + 1,
        "new_response": said.body})
    if not saved.rowcount:
        return False  # the call moved on since it was read: run the turn again, locked
    if said.events:
        timeline.add_events(session, said.events)
    if said.hands_over:
        intake_over(session, call_id, now)
    return True


def _locked_step(session: Session, line: LineConfig, form: dict[str, str], number: int,
                 now: datetime, taken_before: int, turn: Turn) -> str | None:
    """The turn from the locked call: an effect's turn, or one whose call moved on since it
    was read (then computed again from what the call holds now). A turn with effects locks
    and reads the whole call in one statement, then holds it as an object (the effects may
    change it)."""
    row: Any
    call: Call | None = None
    if turn.effect is not None:
        row = session.connection().execute(_LOCK_WHOLE_CALL, {"sid": form["CallSid"]}).first()
        call = _as_loaded(session, row) if row is not None else None
    else:
        row = session.connection().execute(_LOCK_TURN, {"sid": form["CallSid"]}).first()
    if row is None or row.state is None or row.script_version_id is None:
        return None
    if number <= row.turn:
        return row.last_response
    script = versions.script_for_call(session, row.script_version_id, row.script_digest)
    if row.turn != taken_before:
        turn = advance(script, row.state, event_from(form))
    if turn.effect is None:
        said = _say(line, row, turn)
        if not _apply(session, row.id, said, now):
            raise RuntimeError("the call's turn was taken meanwhile")  # locked: never
        return said.body
    if call is None:  # the call moved on since it was read, to a turn with effects
        call = session.get(Call, row.id)
    assert call is not None
    return _finish_turn(session, call, script, turn, line, row.turn + 1, now)


def _finish_turn(session: Session, call: Call, script: Script, turn: Turn, line: LineConfig,
                 number: int, now: datetime, unwritten: _Unwritten | None = None) -> str:
    """Carry out the turn's effects (feeding each result back) and render what is said.
    ``unwritten``: the call has no row yet (``begin``)."""
    spoken: list[Any] = []
    while True:
        events = []
        for action in turn.actions:
            if isinstance(action, Log):
                events.append(_event(call.id, turn.state, action))
            elif not isinstance(action, Effect):
                spoken.append(action)
        if events and unwritten is not None:
            unwritten.events.extend(events)
        elif events:  # rows before the effect runs: opening a ticket claims the call's lines
            timeline.add_events(session, events)
        effect = turn.effect
        if effect is None:
            break
        if unwritten is not None and effect.name not in effects.ROWLESS:
            _write_call(session, call, unwritten, in_session=True)
            unwritten = None
        asked = effects.Asked(session, call, turn.state["language"], effect.args, effect.fields,
                              now)
        turn = advance(script, turn.state, Result(effects.perform(asked, effect.name)))
    queue_url = line.queue_url if call.direction == "inbound" else line.connect_url
    body = twiml.render(spoken, f"{line.step_url}?t={number + 1}", queue_url)
    taken = {"state": turn.state, "language": turn.state["language"], "turn": number,
             "last_response": body}
    if unwritten is not None:
        for key, value in taken.items():
            setattr(call, key, value)
        _write_call(session, call, unwritten, in_session=False)
    else:  # the call is locked: its turn in one Core UPDATE, not a flush of the object
        session.connection().execute(_TAKE_TURN, {"call_id": call.id, **{
            f"new_{key}": value for key, value in taken.items()}})
        for key, value in taken.items():
            set_committed_value(call, key, value)
    if call.direction == "inbound" and _hands_over(spoken):
        intake_over(session, call.id, now)
    return body


def _hands_over(spoken: list[Any]) -> bool:
    """Does the turn end the script (the queues take the caller, or the line hangs up)?"""
    return any(isinstance(a, Hangup | Queue) for a in spoken)


# The tickets of a call as an event tells of them (``outbox.ticket_data``), first opened first.
_CALL_TICKETS = (select(Ticket.id, Ticket.number, Ticket.priority, Ticket.tier, Ticket.category,
                        Ticket.status, Ticket.language)
                 .where(Ticket.call_id == bindparam("call")).order_by(Ticket.id))


def intake_over(session: Session, call_id: int, now: datetime,
                tickets: list[Any] | None = None) -> None:
    """The caller's intake is over (handed to the queues, or the call ended): once per call,
    the outside may tell them in writing what was opened (the SMS with their ticket numbers).
    ``tickets``: the call's tickets as ``_CALL_TICKETS`` reads them, if read already."""
    if tickets is None:
        session.flush()  # tickets this session changed are read as they stand
        tickets = list(session.connection().execute(_CALL_TICKETS, {"call": call_id}))
    if tickets:
        outbox.add_event(session, Topic.INTAKE_COMPLETED, now=now, key=f"intake:{call_id}",
                         ticket=outbox.ticket_data(tickets[0]), call_id=call_id,
                         tickets=[t.id for t in tickets])


def _current_ticket_id(state: dict[str, Any]) -> int | None:
    ticket = state["fields"].get("ticket")
    return ticket.get("id") if isinstance(ticket, dict) else None


def ticket_number(state: dict[str, Any] | None) -> str | None:
    """The number of the ticket the call is about now (None before it has one)."""
    ticket = (state or {}).get("fields", {}).get("ticket")
    return ticket.get("number") if isinstance(ticket, dict) else None


def _event(call_id: int, state: dict[str, Any], action: Log) -> dict[str, Any]:
    return timeline.event_values(action.kind, action.text, call_id=call_id, step=action.step,
                                 ticket_id=_current_ticket_id(state), data=action.data)


# A status callback's statements, built once: the call as the callback needs it (locked), its
# row when the callback comes first, the outcome written.
_LOCK_STATUS = (select(Call.id, Call.direction, Call.status, Call.status_seq, Call.state)
                .where(Call.sid == bindparam("sid")).with_for_update())
_SET_STATUS = (update(Call).where(Call.id == bindparam("call_id"))
               .values(status=bindparam("new_status"), status_seq=bindparam("new_seq")))
_SET_OUTCOME = _SET_STATUS.values(ended_at=bindparam("ended_at"),
                                  duration=bindparam("new_duration"))


def record_status(session: Session, form: dict[str, str]) -> None:
    """A call status callback: repeats and out-of-order events change nothing."""
    sid = form["CallSid"]
    status = (form.get("CallStatus") or "").strip()
    conn = session.connection()
    call = conn.execute(_LOCK_STATUS, {"sid": sid}).first()
    if call is not None:
        about_ticket(ticket_number(call.state))
        call_id, direction, was, seq_was = call.id, call.direction, call.status, call.status_seq
    else:  # the callback came before the call's webhook: the call's row from it
        direction, was, seq_was = form.get("Direction") or "inbound", CallStatus.QUEUED, -1
        call_id = conn.execute(_ADD_CALL, {
            "sid": sid, "direction": direction, "from_number": form.get("From"),
            "to_number": form.get("To"), "status": was}).scalar_one()
    try:
        seq = int(form.get("SequenceNumber", ""))
    except ValueError:
        seq = None
    if was in FINAL_STATUSES:
        return  # the outcome is recorded; later or repeated events cannot undo it
    if seq is not None and seq <= seq_was:
        return
    new_seq = seq if seq is not None else seq_was
    new_status = status or was
    if status not in FINAL_STATUSES:
        if (new_status, new_seq) != (was, seq_was):
            conn.execute(_SET_STATUS, {"call_id": call_id, "new_status": new_status,
                                       "new_seq": new_seq})
        return
    ended_at = utcnow()
    try:
        duration: int | None = int(form.get("CallDuration") or 0)
    except ValueError:
        duration = None
    conn.execute(_SET_OUTCOME, {"call_id": call_id, "new_status": new_status, "new_seq": new_seq,
                                "ended_at": ended_at, "new_duration": duration})
    tickets = list(conn.execute(_CALL_TICKETS, {"call": call_id}))
    if direction == "inbound" and tickets:
        intake_over(session, call_id, ended_at, tickets)
    if direction == "inbound":
        outbox.add_event(session, Topic.CALL_ENDED, now=ended_at, key=f"cti:{sid}:ended",
                         call_id=call_id, status=status)
    text = f"Call ended: {status}" + (f", {duration} s" if duration else "")
    timeline.add_events(session, [timeline.event_values(
        "call", text, ticket_id=ticket_id, call_id=call_id,
        data={"status": status, "duration": duration})
        for ticket_id in [t.id for t in tickets] or [None]])
