"""The data shapes of the JSON API's OpenAPI document (its ``components.schemas``)."""

from __future__ import annotations

from typing import Any

from tickets.incidents import CATEGORIES, LANGUAGES
from tickets.statuses import STATUSES, IncidentStatus

DATETIME = {"type": "string", "format": "date-time"}


def ref(name: str) -> dict[str, str]:
    """A reference to one of the document's schemas."""
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "nullable": True, **extra}


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {
                "status": {"type": "integer"},
                "message": {"type": "string"},
                "field": {"type": "string", "description": "The parameter or body field "
                                                          "that is wrong."},
            },
        }},
    },
    "Ticket": {
        "type": "object",
        "required": ["number", "status", "priority", "tier", "created_at"],
        "properties": {
            "number": _nullable("string"),
            "status": {"type": "string", "enum": list(STATUSES)},
            "priority": {"type": "string"},
            "tier": {"type": "integer"},
            "category": _nullable("string"),
            "language": _nullable("string"),
            "caller_name": _nullable("string"),
            "department": _nullable("string"),
            "location": _nullable("string"),
            "callback_number": _nullable("string"),
            "account_verified": {"type": "boolean"},
            "equipment": _nullable("string"),
            "problem": _nullable("string"),
            "agent": _nullable("string", description="The analyst the ticket is with."),
            "created_at": DATETIME,
            "response_due": _nullable("string", format="date-time"),
            "responded_at": _nullable("string", format="date-time"),
            "resolution_due": _nullable("string", format="date-time"),
            "resolved_at": _nullable("string", format="date-time"),
            "response_breached": {"type": "boolean"},
            "resolution_breached": {"type": "boolean"},
            "reopened_count": {"type": "integer"},
        },
    },
    "Event": {
        "type": "object",
        "description": "A line on a ticket's timeline.",
        "required": ["id", "at", "kind", "text", "actor", "public"],
        "properties": {
            "id": {"type": "integer"},
            "at": DATETIME,
            "kind": {"type": "string", "description": "note, status, escalated, queued, "
                                                      "bridged, abandoned, ..."},
            "text": {"type": "string"},
            "actor": {"type": "string"},
            "public": {"type": "boolean", "description": "Told to the customer."},
            "data": {"type": "object", "additionalProperties": True},
        },
    },
    "TicketDetail": {
        "allOf": [ref("Ticket"), {
            "type": "object",
            "required": ["timeline"],
            "properties": {"timeline": {"type": "array", "items": ref("Event")}},
        }],
    },
    "TicketPage": {
        "type": "object",
        "required": ["items", "page", "per_page", "total"],
        "properties": {
            "items": {"type": "array", "items": ref("Ticket")},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "total": {"type": "integer", "minimum": 0},
        },
    },
    "NewNote": {
        "type": "object",
        "required": ["text"],
        "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": 4000, "pattern": "\\S"},
            "public": {"type": "boolean", "default": False,
                       "description": "Public notes are what status calls read to the "
                                      "customer; others are internal."},
        },
    },
    "Incident": {
        "type": "object",
        "required": ["id", "status", "category", "messages", "started_at", "linked_callers"],
        "properties": {
            "id": {"type": "integer"},
            "status": {"type": "string", "enum": list(IncidentStatus)},
            "category": {"type": "string", "enum": list(CATEGORIES)},
            "service": _nullable("string"),
            "messages": {"type": "object", "additionalProperties": {"type": "string"}},
            "started_at": DATETIME,
            "expected_at": _nullable("string", format="date-time"),
            "declared_by": {"type": "string"},
            "parent_ticket": _nullable("string", description="The parent ticket's number."),
            "linked_callers": {"type": "integer", "minimum": 0,
                               "description": "Callers linked to it by a child ticket."},
            "resolved_at": _nullable("string", format="date-time"),
            "resolution_note": _nullable("string"),
        },
    },
    "Incidents": {
        "type": "object",
        "required": ["active", "recent"],
        "properties": {"active": {"type": "array", "items": ref("Incident")},
                       "recent": {"type": "array", "items": ref("Incident")}},
    },
    "IncidentChange": {
        "type": "object",
        "description": "What callers hear of an incident. `messages` maps a language to a "
                       "text that may use {service}, {since} and {until}; a language left "
                       "out is said from the template.",
        "properties": {
            "category": {"type": "string", "enum": list(CATEGORIES)},
            "service": _nullable("string", maxLength=200),
            "messages": {"type": "object", "properties": {
                lang: {"type": "string", "maxLength": 1000} for lang in LANGUAGES},
                "additionalProperties": False},
            "started_at": {**DATETIME, "description": "Default: now."},
            "expected_at": _nullable("string", format="date-time"),
        },
    },
    "NewIncident": {
        "allOf": [ref("IncidentChange"), {"type": "object", "required": ["category"]}],
    },
    "Resolution": {
        "type": "object",
        "required": ["note"],
        "properties": {"note": {"type": "string", "minLength": 1, "maxLength": 4000,
                                "pattern": "\\S",
                                "description": "Read to every linked caller."}},
    },
    "NewCallback": {
        "type": "object",
        "required": ["ticket"],
        "properties": {
            "ticket": {"type": "string", "pattern": "^[0-9]{1,20}$",
                       "description": "The ticket's public number."},
            "number": {"type": "string", "minLength": 1, "maxLength": 40, "pattern": "\\S",
                       "description": "The number to call (default: the ticket's callback "
                                      "number); the line's dialling rule applies."},
            "language": {"type": "string", "minLength": 1, "maxLength": 16, "pattern": "\\S",
                         "description": "The call's language (default: the ticket's), "
                                        "e.g. it-IT."},
        },
    },
    "CancelCallback": {
        "type": "object",
        "required": ["reason"],
        "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 500,
                                  "pattern": "\\S"}},
    },
    "Callback": {
        "type": "object",
        "required": ["id", "ticket", "status", "to", "due_at", "place_joined_at"],
        "properties": {
            "id": {"type": "integer"},
            "ticket": _nullable("string"),
            "status": {"type": "string", "description": "pending, dialing, placed, answered, "
                                                        "done, failed, canceled, refused"},
            "to": {"type": "string", "description": "Masked: last three digits only."},
            "due_at": DATETIME,
            "place_joined_at": _nullable("string", format="date-time",
                                         description="Its place in line: when it was asked."),
            "result": _nullable("string"),
        },
    },
    "WaitingCaller": {
        "type": "object",
        "required": ["position", "priority", "waited_seconds", "state"],
        "properties": {
            "position": {"type": "integer", "minimum": 1},
            "ticket": _nullable("string"),
            "priority": _nullable("string"),
            "rank": {"type": "integer"},
            "state": {"type": "string", "enum": ["waiting", "connecting"]},
            "waited_seconds": {"type": "integer", "minimum": 0},
            "joined_at": DATETIME,
            "announced_wait_seconds": _nullable("integer"),
            "language": _nullable("string"),
            "caller": {"type": "string", "description": "Masked: last three digits only."},
        },
    },
    "TierQueue": {
        "type": "object",
        "required": ["tier", "waiting", "agents_available", "agents_logged_in",
                     "callbacks_pending"],
        "properties": {
            "tier": {"type": "integer"},
            "waiting": {"type": "array", "items": ref("WaitingCaller")},
            "agents_available": {"type": "integer", "minimum": 0},
            "agents_logged_in": {"type": "integer", "minimum": 0},
            "callbacks_pending": {"type": "integer", "minimum": 0},
        },
    },
    "Queues": {
        "type": "object",
        "required": ["generated_at", "tiers"],
        "properties": {
            "generated_at": DATETIME,
            "tiers": {"type": "array", "items": ref("TierQueue")},
        },
    },
}
