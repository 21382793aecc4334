"""The OpenAPI 3 document of the JSON API, written as data (served at /api/v1/openapi.json)."""

from __future__ import annotations

from typing import Any

from tickets.accounts import SCOPES
from tickets.statuses import STATUSES
from tickets.workflow import MAX_TIER

from .schemas import SCHEMAS, ref

PREFIX = "/api/v1"


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": ref("Error")}}}


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": ref(schema)}}}


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

INCIDENT_ID = {"name": "id", "in": "path", "required": True, "description": "The incident's id.",
               "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
               "example": 1}
NO_INCIDENT = {"404": _error("No incident with that id.")}


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
                        "content": {"application/json": {"schema": ref("NewNote")}}},
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
                        "content": {"application/json": {"schema": ref("NewCallback")}}},
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
                        "content": {"application/json": {"schema": ref("CancelCallback")}}},
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
                            "content": {"application/json": {"schema": ref("NewIncident")}}},
            "responses": {"201": _ok("The incident declared.", "Incident"), **ERRORS},
        }),
    },
    f"{PREFIX}/incidents/{{id}}": {"patch": _scoped("incidents:write", {
        "operationId": "editIncident",
        "summary": "Change what callers hear of an active incident",
        "parameters": [INCIDENT_ID],
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": ref("IncidentChange")}}},
        "responses": {"200": _ok("The incident as it stands.", "Incident"), **ERRORS,
                      **NO_INCIDENT},
    })},
    f"{PREFIX}/incidents/{{id}}/resolve": {"post": _scoped("incidents:write", {
        "operationId": "resolveIncident",
        "summary": "Resolve an incident: its callers' tickets resolved, each caller told once",
        "parameters": [INCIDENT_ID],
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": ref("Resolution")}}},
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
