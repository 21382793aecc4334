"""Twilio's side of a call, for the tests: its REST API (mocked with ``responses``) and the
callbacks of a conference (signed like every webhook Twilio makes).

Every request the line makes is checked against Twilio's OpenAPI document by the suite's
autouse fixture (``tests/twilio``); the answers here carry the success status and exactly the
fields that document gives each operation's reply.
"""

from __future__ import annotations

import json
import re
import secrets
from email.utils import format_datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qs

import responses

from ivr.phone import Phone

from .conftest import Caller
from .twilio.contract import DOCUMENT

ACCOUNT = "/2010-04-01/Accounts/{AccountSid}/"
OPERATIONS = {  # our name -> (method, path in Twilio's document)
    "create_call": ("post", ACCOUNT + "Calls.json"),
    "update_call": ("post", ACCOUNT + "Calls/{Sid}.json"),
    "create_participant": ("post", ACCOUNT + "Conferences/{ConferenceSid}/Participants.json"),
    "update_participant": ("post", ACCOUNT +
                           "Conferences/{ConferenceSid}/Participants/{CallSid}.json"),
    "delete_participant": ("delete", ACCOUNT +
                           "Conferences/{ConferenceSid}/Participants/{CallSid}.json"),
    "update_member": ("post", ACCOUNT + "Queues/{QueueSid}/Members/{CallSid}.json"),
}
API = r"https://api\.twilio\.com/2010-04-01/Accounts/(AC\w+)/"
CALLS = re.compile(API + r"Calls\.json$")
CALL = re.compile(API + r"Calls/(CA\w+)\.json$")
PARTICIPANTS = re.compile(API + r"Conferences/([\w-]+)/Participants\.json$")
PARTICIPANT = re.compile(API + r"Conferences/([\w-]+)/Participants/(CA\w+)\.json$")
MEMBER = re.compile(API + r"Queues/(QU\w+)/Members/(CA\w+)\.json$")
ARRAYS = {"StatusCallbackEvent", "ConferenceStatusCallbackEvent",
          "RecordingStatusCallbackEvent"}


@cache
def _reply_shape(op: str) -> tuple[int, tuple[str, ...]]:
    """The success status of an operation and the fields of its JSON reply."""
    document = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    method, path = OPERATIONS[op]
    replies = document["paths"][path][method]["responses"]
    status = next(code for code in replies if code.startswith("2"))
    content = replies[status].get("content")
    if not content:
        return int(status), ()
    schema = document
    for part in content["application/json"]["schema"]["$ref"].lstrip("#/").split("/"):
        schema = schema[part]
    return int(status), tuple(sorted(schema["properties"]))


def form_of(body: str | bytes | None) -> dict[str, Any]:
    """A request's form: repeated parameters (arrays) as lists, the others single values."""
    raw = body.decode() if isinstance(body, bytes) else (body or "")
    return {name: values if name in ARRAYS else values[0]
            for name, values in parse_qs(raw, keep_blank_values=True).items()}


def answer(op: str, **values: Any) -> tuple[int, dict[str, str], str]:
    """The documented success status, with exactly the documented fields."""
    status, fields = _reply_shape(op)
    if not fields:
        return status, {}, ""
    return status, {}, json.dumps({name: values.get(name) for name in fields})


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


class FakeTwilio:
    """What the line asked of Twilio's REST API, each request checked and recorded."""

    def __init__(self, rsps: responses.RequestsMock, calls: bool = True,
                 members: bool = True):
        self.placed: list[dict[str, Any]] = []  # Calls.json: calls created (analyst legs)
        self.redirected: list[dict[str, Any]] = []  # Calls/{Sid}.json: Url or Status
        self.added: list[dict[str, Any]] = []  # Participants.json: participants created
        self.changed: list[dict[str, Any]] = []  # Participants/{CallSid}.json updates
        self.removed: list[dict[str, Any]] = []  # Participants/{CallSid}.json deletes
        self.dequeued: list[dict[str, Any]] = []  # Queues/{Sid}/Members/{CallSid}.json
        self.refuse: set[str] = set()  # operations answered with Twilio's error
        self.refuse_members: set[str] = set()  # CallSids whose dequeue Twilio refuses
        if calls:
            rsps.add_callback(responses.POST, CALLS, callback=self.create_call)
        rsps.add_callback(responses.POST, CALL, callback=self.update_call)
        rsps.add_callback(responses.POST, PARTICIPANTS, callback=self.create_participant)
        rsps.add_callback(responses.POST, PARTICIPANT, callback=self.update_participant)
        rsps.add_callback(responses.DELETE, PARTICIPANT, callback=self.delete_participant)
        if members:
            rsps.add_callback(responses.POST, MEMBER, callback=self.update_member)

    def _refused(self, op: str) -> tuple[int, dict[str, str], str] | None:
        if op in self.refuse:
            return 400, {}, json.dumps({"code": 21220, "message": "Invalid call state",
                                        "more_info": "https://www.twilio.com/docs/errors/21220",
                                        "status": 400})
        return None

    def create_call(self, request: Any) -> tuple[int, dict[str, str], str]:
        form = form_of(request.body)
        if refused := self._refused("create_call"):
            return refused
        sid = new_sid("CA")
        self.placed.append({"sid": sid, **form})
        return answer("create_call", sid=sid, status="queued", to=form["To"], direction=
                      "outbound-api", date_created=format_datetime_now(), **{"from": form["From"]})

    def update_call(self, request: Any) -> tuple[int, dict[str, str], str]:
        sid = CALL.match(request.url).group(2)
        form = form_of(request.body)
        if refused := self._refused("update_call"):
            return refused
        self.redirected.append({"call": sid, **form})
        return answer("update_call", sid=sid, status="in-progress")

    def create_participant(self, request: Any) -> tuple[int, dict[str, str], str]:
        room = PARTICIPANTS.match(request.url).group(2)
        form = form_of(request.body)
        if refused := self._refused("create_participant"):
            return refused
        sid = new_sid("CA")
        self.added.append({"conference": room, "sid": sid, **form})
        return answer("create_participant", call_sid=sid, conference_sid=room,
                      label=form.get("Label"), muted=form.get("Muted") == "true",
                      coaching=form.get("Coaching") == "true", hold=False, status="queued")

    def update_participant(self, request: Any) -> tuple[int, dict[str, str], str]:
        room, sid = PARTICIPANT.match(request.url).groups()[1:]
        form = form_of(request.body)
        if refused := self._refused("update_participant"):
            return refused
        self.changed.append({"conference": room, "call": sid, **form})
        return answer("update_participant", call_sid=sid, conference_sid=room,
                      hold=form.get("Hold") == "true", muted=form.get("Muted") == "true",
                      status="connected")

    def delete_participant(self, request: Any) -> tuple[int, dict[str, str], str]:
        room, sid = PARTICIPANT.match(request.url).groups()[1:]
        if refused := self._refused("delete_participant"):
            return refused
        self.removed.append({"conference": room, "call": sid})
        return answer("delete_participant")

    def update_member(self, request: Any) -> tuple[int, dict[str, str], str]:
        queue_sid, call_sid = MEMBER.match(request.url).groups()[1:]
        form = form_of(request.body)
        if refused := self._refused("update_member"):
            return refused
        if call_sid in self.refuse_members:
            return 400, {}, json.dumps({"code": 21220, "message": "Invalid call state",
                                        "more_info": "https://www.twilio.com/docs/errors/21220",
                                        "status": 400})
        self.dequeued.append({"queue": queue_sid, "call": call_sid, "url": form["Url"]})
        return answer("update_member", call_sid=call_sid, queue_sid=queue_sid, position=1,
                      wait_time=0)

    def analyst_legs(self) -> list[dict[str, Any]]:
        """The calls placed to analysts (their Url plays the whisper, then joins)."""
        return [p for p in self.placed if "/voice/queue/whisper" in p.get("Url", "")]


def format_datetime_now() -> str:
    from datetime import UTC, datetime

    return format_datetime(datetime.now(UTC), usegmt=True)


class Room:
    """Twilio's conference of one caller: it sends the line its status callbacks, signed,
    numbered in sequence (``seq=`` replays one out of order)."""

    def __init__(self, caller: Phone):
        assert caller.room is not None, "the caller has not joined a conference"
        self.caller = caller
        self.url = caller.room["statusCallback"]
        self.name = caller.room["name"]
        self.sid = new_sid("CF")
        self.sequence = 0
        self.sent: list[dict[str, str]] = []

    def event(self, event: str, call_sid: str | None = None, label: str | None = None,
              seq: int | None = None, **extra: str) -> tuple[int, str]:
        if seq is None:
            self.sequence += 1
            seq = self.sequence
        form = {"AccountSid": self.caller.params["AccountSid"], "ConferenceSid": self.sid,
                "FriendlyName": self.name, "StatusCallbackEvent": event,
                "SequenceNumber": str(seq), "Timestamp": format_datetime_now()}
        if call_sid:
            form.update(CallSid=call_sid, Muted="false", Hold="false", Coaching="false",
                        EndConferenceOnExit="true", StartConferenceOnEnter="false")
        if label:
            form["ParticipantLabel"] = label
        form.update(extra)
        self.sent.append(form)
        return self.caller.post(self.url, form)

    def replay(self, index: int) -> tuple[int, str]:
        """Send an earlier callback again, exactly as it was."""
        return self.caller.post(self.url, self.sent[index])

    def caller_joins(self) -> None:
        self.event("participant-join", self.caller.call_sid, "caller")

    def analyst_joins(self, leg: Phone, label: str) -> None:
        """The analyst's leg (after the whisper) joins: the conference starts."""
        self.event("participant-join", leg.call_sid, label, StartConferenceOnEnter="true")
        self.event("conference-start")


def leg_phone(transport: Any, base_url: str, token: str, placed: dict[str, Any]) -> Caller:
    """The analyst's phone answering a leg the line placed: it fetches the leg's Url."""
    phone = Caller(transport, base_url, token, from_=placed["From"], to=placed["To"],
                  call_sid=placed["sid"])
    phone.params.update(Direction="outbound-api")
    return phone.dial(placed["Url"])


def leg_status(phone: Phone, placed: dict[str, Any], status: str, seq: int,
               duration: int = 0) -> tuple[int, str]:
    """A status callback of a placed leg, as Twilio sends it."""
    return phone.post(placed["StatusCallback"],
                      {**phone.params, "CallSid": placed["sid"], "CallStatus": status,
                       "SequenceNumber": str(seq), "CallDuration": str(duration),
                       "From": placed["From"], "To": placed["To"]})
