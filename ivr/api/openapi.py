"""The OpenAPI 3 document of the JSON API, written as data (served at /api/v1/openapi.json)."""

from __future__ import annotations

from typing import Any

from tickets.accounts import SCOPES
from tickets.incidents import CATEGORIES, LANGUAGES
from tickets.statuses import STATUSES, IncidentStatus
from tickets.workflow import MAX_TIER

PREFIX = "/api/v1"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "nullable": True, **extra}


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": _ref("Error")}}}


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": _ref(schema)}}}


ERRORS = {
    "400": _error("A parameter or the body is wrong; `field` names it."),
    "401": _error("No token, or a token that is unknown or revoked."),
    "403": _error("The token lacks the scope this call needs."),
}
NOT_FOUND = {"404": _error("No ticket with that number (or none the token's tiers may see).")}


def _scoped(scope: str, operation: dict[str, Any]) -> dict[str, Any]:
    """An operation that needs a token holding ``scope`` (stated in its description and as
    ``x-scopes``: OpenAPI 3.0 gives bearer tokens no scopes of their own)."""
    description = operation.get("description", "")
    return {**operation, "x-scopes": [scope],
            "description": (f"{description} " if description else "")
            + f"Needs a token with the scope `{scope}`; a token limited to some tiers sees "
              "only their tickets and queues."}

TICKET_NUMBER = {"name": "number", "in": "path", "required": True,
                 "description": "The ticket's public number.",
                 "schema": {"type": "string", "pattern": "^[0-9]{1,20}$"},
                 "example": "10001"}

DATETIME = {"type": "string", "format": "date-time"}
INCIDENT_ID = {"name": "id", "in": "path", "required": True, "description": "The incident's id.",
               "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
               "example": 1}
NO_INCIDENT = {"404": _error("No incident with that id.")}

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
        "allOf": [_ref("Ticket"), {
            "type": "object",
            "required": ["timeline"],
            "properties": {"timeline": {"type": "array", "items": _ref("Event")}},
        }],
    },
    "TicketPage": {
        "type": "object",
        "required": ["items", "page", "per_page", "total"],
        "properties": {
            "items": {"type": "array", "items": _ref("Ticket")},
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
        "properties": {"active": {"type": "array", "items": _ref("Incident")},
                       "recent": {"type": "array", "items": _ref("Incident")}},
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
        "allOf": [_ref("IncidentChange"), {"type": "object", "required": ["category"]}],
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
            "waiting": {"type": "array", "items": _ref("WaitingCaller")},
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
            "tiers": {"type": "array", "items": _ref("TierQueue")},
        },
    },
}


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}


PATHS: dict[str, Any] = {
    f"{PREFIX}/tickets": {"get": _scoped("tickets:read", {
        "operationId": "listTickets",
        "summary": "List tickets, newest first",
        "parameters": [
            _query("status", "Only tickets in this status.",
                   {"type": "string", "enum": list(STATUSES)}),
            _query("priority", "Only tickets of this priority label "
                   "(e.g. critical_situation).", {"type": "string", "maxLength": 40}),
            _query("tier", "Only tickets at this tier (4: beyond tier 3).",
                   {"type": "integer", "minimum": 1, "maximum": MAX_TIER + 1}),
            _query("number", "The ticket with this number.",
                   {"type": "string", "maxLength": 20}),
            _query("phone", "Tickets with this callback number or of the customer with this "
                   "number on file (any format; read as E.164).",
                   {"type": "string", "maxLength": 40}),
            _query("page", "Page number, from 1.",
                   {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1}),
            _query("per_page", "Tickets per page.",
                   {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),
        ],
        "responses": {"200": _ok("A page of tickets.", "TicketPage"), **ERRORS},
    })},
    f"{PREFIX}/tickets/{{number}}": {"get": _scoped("tickets:read", {
        "operationId": "getTicket",
        "summary": "One ticket with its timeline",
        "parameters": [TICKET_NUMBER],
        "responses": {"200": _ok("The ticket.", "TicketDetail"), **ERRORS, **NOT_FOUND},
    })},
    f"{PREFIX}/tickets/{{number}}/notes": {"post": _scoped("notes:write", {
        "operationId": "addNote",
        "summary": "Add a note to a ticket's timeline",
        "parameters": [TICKET_NUMBER],
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": _ref("NewNote")}}},
        "responses": {"201": _ok("The note as it stands on the timeline.", "Event"),
                      **ERRORS, **NOT_FOUND},
    })},
    f"{PREFIX}/callbacks": {"post": _scoped("callbacks:write", {
        "operationId": "bookCallback",
        "summary": "Book a callback about a ticket, in line with the phone's callbacks",
        "description": "The callback joins the same ordered line as the callbacks callers ask "
                       "for on the phone, its place the time of this request; the line's "
                       "dialling rule, opening hours and the callee's calling hours apply.",
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": _ref("NewCallback")}}},
        "responses": {"201": _ok("The callback booked.", "Callback"), **ERRORS, **NOT_FOUND,
                      "409": _error("The ticket is closed, or a callback is already booked "
                                    "for it."),
                      "422": _error("The line will not call that number (the dialling "
                                    "rule), or the ticket has none.")},
    })},
    f"{PREFIX}/callbacks/{{id}}/cancel": {"post": _scoped("callbacks:write", {
        "operationId": "cancelCallback",
        "summary": "Call off a pending callback, with a reason",
        "parameters": [{"name": "id", "in": "path", "required": True,
                        "description": "The callback's id.",
                        "schema": {"type": "integer", "minimum": 1}}],
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": _ref("CancelCallback")}}},
        "responses": {"200": _ok("The callback, called off.", "Callback"), **ERRORS,
                      "404": _error("No callback with that id (or none the token's tiers "
                                    "may see)."),
                      "409": _error("The callback is under way or over: only a pending one "
                                    "can be called off.")},
    })},
    f"{PREFIX}/queues": {"get": _scoped("queues:read", {
        "operationId": "getQueues",
        "summary": "The live state of each tier's queue",
        "responses": {"200": _ok("Every tier the token may see, waiting callers best first.",
                                 "Queues"),
                      **ERRORS},
    })},
    f"{PREFIX}/incidents": {
        "get": _scoped("tickets:read", {
            "operationId": "listIncidents",
            "summary": "Active major incidents and the ones resolved lately",
            "responses": {"200": _ok("The incidents.", "Incidents"), **ERRORS},
        }),
        "post": _scoped("incidents:write", {
            "operationId": "declareIncident",
            "summary": "Declare a major incident (callers hear it from now on)",
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": _ref("NewIncident")}}},
            "responses": {"201": _ok("The incident declared.", "Incident"), **ERRORS},
        }),
    },
    f"{PREFIX}/incidents/{{id}}": {"patch": _scoped("incidents:write", {
        "operationId": "editIncident",
        "summary": "Change what callers hear of an active incident",
        "parameters": [INCIDENT_ID],
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": _ref("IncidentChange")}}},
        "responses": {"200": _ok("The incident as it stands.", "Incident"), **ERRORS,
                      **NO_INCIDENT},
    })},
    f"{PREFIX}/incidents/{{id}}/resolve": {"post": _scoped("incidents:write", {
        "operationId": "resolveIncident",
        "summary": "Resolve an incident: its callers' tickets resolved, each caller told once",
        "parameters": [INCIDENT_ID],
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": _ref("Resolution")}}},
        "responses": {"200": _ok("The incident resolved.", "Incident"), **ERRORS,
                      **NO_INCIDENT},
    })},
    f"{PREFIX}/openapi.json": {"get": {
        "operationId": "getOpenApi",
        "summary": "This document",
        "security": [],
        "responses": {"200": {"description": "The OpenAPI document.",
                              "content": {"application/json": {"schema": {
                                  "type": "object"}}}}},
    }},
}


def document() -> dict[str, Any]:
    """The whole OpenAPI 3.0 document."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "helpdesk-ivr API",
            "version": "1.0.0",
            "description": "Tickets and live queues of the IT help desk line, for "
                           "integrations. Authenticate with `Authorization: Bearer <token>`; "
                           "make a token with `flask ivr api-token create NAME --scope S "
                           "[--tier N]`. Scopes: "
                           + "; ".join(f"`{name}` ({what})" for name, what in SCOPES.items())
                           + ". Each operation names the scope it needs (`x-scopes`).",
        },
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearerAuth": []}],
    }
