"""Twilio's webhook parameters, checked at the edge before any of them reaches a handler (and
so the database): control characters (a NUL byte) removed, every value bounded in length,
and the parameters whose form Twilio defines (SIDs, statuses, counts, a confidence, a
recording's URL) kept only when they have it. A parameter that is not what Twilio sends is
dropped, as if it had not come: the handler then answers as it does to a missing one (a
re-prompt for a step), never with an error.

Caller IDs may be SIP addresses (``sip:ann@pbx.example.com``): they are kept, up to
``ADDRESS`` characters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field, StringConstraints, TypeAdapter, ValidationError

ADDRESS = 255  # a caller ID: a number, a client name or a SIP address
LONGEST = 2000  # any other value (speech, an error URL)
MAX_INT = 2**31 - 1  # the database's INTEGER

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Sid = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,64}$")]
Status = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_-]{0,19}$")]
Word = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_-]{0,39}$")]
Count = Annotated[int, Field(ge=0, le=MAX_INT, strict=False)]
Confidence = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Address = Annotated[str, StringConstraints(max_length=ADDRESS)]
Url = Annotated[str, StringConstraints(pattern=r"^https?://\S{1,390}$")]

SHAPES: dict[str, TypeAdapter[Any]] = {
    **{name: TypeAdapter(Sid) for name in (
        "CallSid", "AccountSid", "ParentCallSid", "QueueSid", "DialCallSid", "RecordingSid",
        "DequeingCallSid")},
    **{name: TypeAdapter(Status) for name in (
        "CallStatus", "DialCallStatus", "Direction", "AnsweredBy")},
    "QueueResult": TypeAdapter(Word),
    **{name: TypeAdapter(Count) for name in (
        "QueuePosition", "QueueTime", "AvgQueueTime", "CurrentQueueSize", "MaxQueueSize",
        "CallDuration", "DialCallDuration", "RecordingDuration", "SequenceNumber")},
    **{name: TypeAdapter(Address) for name in (
        "From", "To", "Caller", "Called", "ForwardedFrom")},
    "Confidence": TypeAdapter(Confidence),
    "RecordingUrl": TypeAdapter(Url),
}


def clean_value(value: str) -> str:
    """A value without control characters, at most ``LONGEST`` characters."""
    return CONTROL.sub("", value)[:LONGEST]


def checked(form: Mapping[str, str]) -> dict[str, str]:
    """Twilio's parameters as the handlers may use them (see the module's doc)."""
    kept = {}
    for name, raw in form.items():
        value = clean_value(raw)
        shape = SHAPES.get(name)
        if shape is not None:
            if value != raw:
                continue  # a SID or a count with a NUL in it is not one
            try:
                shape.validate_python(value)
            except ValidationError:
                continue
        kept[name] = value
    return kept


def whole_number(raw: str | None) -> int | None:
    """A whole number the database can hold (ids, turns, attempts), or None."""
    try:
        number = int(raw or "")
    except ValueError:
        return None
    return number if 0 <= number <= MAX_INT else None
