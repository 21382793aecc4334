"""Twilio's side of a call, for the tests: its REST API (mocked with ``responses``) and the
callbacks of a conference (signed like every webhook Twilio makes).

Every REST request the line makes is checked against Twilio's OpenAPI description of the
2010-04-01 API: ``twilio_ops.json`` holds the operations the line uses, extracted from
twilio-oai's ``spec/json/twilio_api_v2010.json`` (the form parameters each accepts, which are
required, their enums, the success status and the fields of the JSON it answers with). A
parameter the document does not name, a required one missing or a value outside an enum fails
the test; answers carry exactly the documented fields.
"""

from __future__ import annotations

import json
import re
import secrets
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import responses

from ivr.phone import Phone

from .conftest import Caller

OPS: dict[str, Any] = json.loads((Path(__file__).parent / "twilio_ops.json")
                                 .read_text(encoding="utf-8"))
API = r"https://api\.twilio\.com/2010-04-01/Accounts/(AC\w+)/"
CALLS = re.compile(API + r"Calls\.json$")
CALL = re.compile(API + r"Calls/(CA\w+)\.json$")
PARTICIPANTS = re.compile(API + r"Conferences/([\w-]+)/Participants\.json$")
PARTICIPANT = re.compile(API + r"Conferences/([\w-]+)/Participants/(CA\w+)\.json$")
MEMBER = re.compile(API + r"Queues/(QU\w+)/Members/(CA\w+)\.json$")
BOOLEANS = {"true", "false"}


def checked_form(op: str, body: str | bytes | None) -> dict[str, Any]:
    """The request's form, checked against the operation in Twilio's OpenAPI document;
    repeated parameters (arrays) stay lists, the others are single values."""
    spec = OPS[op]
    raw = body.decode() if isinstance(body, bytes) else (body or "")
    form = parse_qs(raw, keep_blank_values=True)
    unknown = sorted(set(form) - set(spec.get("params", {})))
    assert not unknown, f"{op}: parameters Twilio does not document: {unknown}"
    missing = sorted(set(spec.get("required", [])) - set(form))
    assert not missing, f"{op}: required parameters missing: {missing}"
    out: dict[str, Any] = {}
    for name, values in form.items():
        param = spec["params"][name]
        for value in values:
            if param.get("enum"):
                assert value in param["enum"], f"{op}: {name}={value!r} not in {param['enum']}"
            if param.get("type") == "boolean":
                assert value in BOOLEANS, f"{op}: {name}={value!r} is not a boolean"
        out[name] = values if param.get("type") == "array" else values[0]
    return out


def answer(op: str, **values: Any) -> tuple[int, dict[str, str], str]:
    """The documented success status, with exactly the documented fields."""
    spec = OPS[op]
    if not spec.get("response_fields"):
        return spec["status"], {}, ""
    body = {name: values.get(name) for name in spec["response_fields"]}
    return spec["status"], {}, json.dumps(body)


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


class FakeTwilio:
    """What the line asked of Twilio's REST API, each request checked and recorded."""

    def __init__(self, rsps: responses.RequestsMock, calls: bool = True):
        self.placed: list[dict[str, Any]] = []  # Calls.json: calls created (analyst legs)
        self.redirected: list[dict[str, Any]] = []  # Calls/{Sid}.json: Url or Status
        self.added: list[dict[str, Any]] = []  # Participants.json: participants created
        self.changed: list[dict[str, Any]] = []  # Participants/{CallSid}.json updates
        self.removed: list[dict[str, Any]] = []  # Participants/{CallSid}.json deletes
        self.dequeued: list[dict[str, Any]] = []  # Queues/{Sid}/Members/{CallSid}.json
        self.refuse: set[str] = set()  # operations answered with Twilio's error
        if calls:
            rsps.add_callback(responses.POST, CALLS, callback=self.create_call)
        rsps.add_callback(responses.POST, CALL, callback=self.update_call)
        rsps.add_callback(responses.POST, PARTICIPANTS, callback=self.create_participant)
        rsps.add_callback(responses.POST, PARTICIPANT, callback=self.update_participant)
        rsps.add_callback(responses.DELETE, PARTICIPANT, callback=self.delete_participant)
        rsps.add_callback(responses.POST, MEMBER, callback=self.update_member)

    def _refused(self, op: str) -> tuple[int, dict[str, str], str] | None:
        if op in self.refuse:
            return 400, {}, json.dumps({"code": 21220, "message": "Invalid call state",
                                        "more_info": "https://www.twilio.com/docs/errors/21220",
                                        "status": 400})
        return None

    def create_call(self, request: Any) -> tuple[int, dict[str, str], str]:
        form = checked_form("create_call", request.body)
        if refused := self._refused("create_call"):
            return refused
        sid = new_sid("CA")
        self.placed.append({"sid": sid, **form})
        return answer("create_call", sid=sid, status="queued", to=form["To"], direction=
                      "outbound-api", date_created=format_datetime_now(), **{"from": form["From"]})

    def update_call(self, request: Any) -> tuple[int, dict[str, str], str]:
        sid = CALL.match(request.url).group(2)
        form = checked_form("update_call", request.body)
        if refused := self._refused("update_call"):
            return refused
        self.redirected.append({"call": sid, **form})
        return answer("update_call", sid=sid, status="in-progress")

    def create_participant(self, request: Any) -> tuple[int, dict[str, str], str]:
        room = PARTICIPANTS.match(request.url).group(2)
        form = checked_form("create_participant", request.body)
        if refused := self._refused("create_participant"):
            return refused
        sid = new_sid("CA")
        self.added.append({"conference": room, "sid": sid, **form})
        return answer("create_participant", call_sid=sid, conference_sid=room,
                      label=form.get("Label"), muted=form.get("Muted") == "true",
                      coaching=form.get("Coaching") == "true", hold=False, status="queued")

    def update_participant(self, request: Any) -> tuple[int, dict[str, str], str]:
        room, sid = PARTICIPANT.match(request.url).groups()[1:]
        form = checked_form("update_participant", request.body)
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
        form = checked_form("update_member", request.body)
        if refused := self._refused("update_member"):
            return refused
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
