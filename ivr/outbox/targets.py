"""What the integrations file names and points at, checked alike for webhooks and ticket systems:
a target's name (it appears in the console and the logs) and an http(s) URL."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")


def _name(value: str) -> str:
    if not NAME.match(value):
        raise ValueError("a name is lower-case letters, digits, - and _ (at most 60)")
    return value


def _url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http(s) URL")
    return value


Name = Annotated[str, AfterValidator(_name)]
HttpUrl = Annotated[str, AfterValidator(_url)]
