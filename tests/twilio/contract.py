"""Twilio's REST contract: every request the suite's `responses` mocks receive for
api.twilio.com is checked against Twilio's published OpenAPI document (openapi-core), so a
wrong parameter name, a missing required field or a value of the wrong kind fails a test.

openapi-core reads a form body and a query by the names the document declares and passes over
any other name: here a name the operation does not declare is a problem too (a mistake in our
request, which Twilio would silently ignore). Repeated form keys (``StatusCallbackEvent``) are
arrays, as twilio-python sends them.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest
from requests import PreparedRequest

DOCUMENT = Path(__file__).with_name("twilio_api_v2010.json")
FORM = "application/x-www-form-urlencoded"
HOSTS = {"api.twilio.com"}
# A recording's media: the Recording resource's URI with .mp3 or .wav for .json (Twilio's
# Recording docs; the OpenAPI document describes the resource's JSON only). A plain GET.
MEDIA = re.compile(r"^(/2010-04-01/Accounts/AC\w{32}/Recordings/RE\w{32})\.(?:mp3|wav)$")


class TwilioContract:
    """Twilio's 2010-04-01 API as a validator of requests."""

    def __init__(self, document: dict[str, Any]):
        self.document = document
        self.openapi = OpenAPI.from_dict(document)
        self.paths = [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), item)
                      for path, item in document["paths"].items()]

    def problems(self, request: PreparedRequest) -> list[str]:
        """What is wrong with the request, as Twilio's document describes the API ([] if
        nothing)."""
        what = f"{request.method} {urlsplit(request.url).path}"
        media = MEDIA.match(urlsplit(request.url).path)
        if media:
            return self._media(request, what, media.group(1) + ".json")
        operation = self._operation(request)
        if operation is None:
            return [f"{what}: no such operation in Twilio's API"]
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        query = {name for name, _ in parse_qsl(urlsplit(request.url).query)}
        found = [f"{what}: unknown query parameter {name!r}" for name in sorted(query - declared)]
        schema = operation.get("requestBody", {}).get("content", {}).get(FORM, {}) \
            .get("schema", {})
        body = request.body.decode() if isinstance(request.body, bytes) else request.body or ""
        sent = {name for name, _ in parse_qsl(body)}
        found += [f"{what}: unknown form parameter {name!r}"
                  for name in sorted(sent - set(schema.get("properties", {})))]
        try:
            self.openapi.validate_request(RequestsOpenAPIRequest(request))
        except Exception as exc:  # noqa: BLE001  openapi-core's errors: the message says what
            found.append(f"{what}: {_explain(exc)}")
        return found

    def _media(self, request: PreparedRequest, what: str, resource: str) -> list[str]:
        """A recording's media: fetched (GET) as its resource is, nothing sent with it."""
        fetch = next((item.get("get") for pattern, item in self.paths
                      if pattern.match(resource)), None)
        if request.method != "GET" or fetch is None:
            return [f"{what}: a recording's media is only fetched (GET)"]
        if urlsplit(request.url).query or request.body:
            return [f"{what}: a recording's media takes no parameters"]
        return []

    def _operation(self, request: PreparedRequest) -> dict[str, Any] | None:
        path = urlsplit(request.url).path
        for pattern, item in self.paths:
            if pattern.match(path):
                return item.get((request.method or "").lower())
        return None


def _explain(exc: Exception) -> str:
    """openapi-core's error with the schema errors under it."""
    parts = [str(exc)]
    cause = exc.__cause__
    while cause is not None:
        parts += [str(cause)] + [e.message for e in getattr(cause, "schema_errors", []) or []]
        cause = cause.__cause__
    return "; ".join(dict.fromkeys(parts))


@cache
def contract() -> TwilioContract:
    """Loaded once, on the first request to Twilio a test makes (it takes a few seconds)."""
    return TwilioContract(json.loads(DOCUMENT.read_text(encoding="utf-8")))


def is_twilio(request: PreparedRequest) -> bool:
    return urlsplit(request.url).hostname in HOSTS
