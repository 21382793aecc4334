"""The integrations file (``INTEGRATIONS_FILE``, YAML): where webhooks go, whether SMS go, and
which ticket systems the line files its tickets in.

    webhooks:
      - name: ops                      # shown in the console's delivery log
        url: https://ops.example.com/hooks/helpdesk
        secret_env: OPS_WEBHOOK_SECRET  # or secret: whsec_... (Standard Webhooks secret)
        events: [ticket.opened, ticket.resolved]   # default: every event
    sms:
      enabled: true
      from: "+15550100000"             # default TWILIO_PHONE_NUMBER
      # messaging_service_sid: MG...   # instead of from
    connectors:                        # ticket systems: connectors.settings
      - name: zammad
        kind: zammad
        ...
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tickets.outbox import WEBHOOK_TOPICS

from .connectors.settings import AnyConnector
from .targets import HttpUrl, Name


class IntegrationsError(Exception):
    """The integrations file cannot be used; the message says where and why."""


class WebhookTarget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    url: HttpUrl
    secret: str = ""
    secret_env: str = ""
    events: tuple[str, ...] = WEBHOOK_TOPICS
    max_attempts: int = Field(8, ge=1, le=20)

    @field_validator("events")
    @classmethod
    def _events(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [e for e in value if e not in WEBHOOK_TOPICS]
        if unknown:
            raise ValueError(f"unknown event(s) {', '.join(unknown)}; events are "
                             f"{', '.join(WEBHOOK_TOPICS)}")
        return value

    @model_validator(mode="after")
    def _secret(self) -> WebhookTarget:
        if bool(self.secret) == bool(self.secret_env):
            raise ValueError("give the signing secret as secret or secret_env (one of them)")
        if self.secret_env and not os.environ.get(self.secret_env):
            raise ValueError(f"the environment variable {self.secret_env} is not set")
        if not _is_secret(self.signing_secret):
            raise ValueError("the secret is not a Standard Webhooks secret (whsec_ and "
                             "24 to 64 bytes in base64, e.g. from `flask ivr integrations "
                             "new-secret`)")
        return self

    @property
    def signing_secret(self) -> str:
        return self.secret or os.environ.get(self.secret_env, "")


def _is_secret(secret: str) -> bool:
    """A Standard Webhooks secret: whsec_ and 24 to 64 random bytes in base64, that the
    library takes."""
    if not secret.startswith("whsec_"):
        return False
    from standardwebhooks.webhooks import Webhook  # with the first secret (it loads httpx)

    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        Webhook(secret)
    except (ValueError, TypeError, RuntimeError):
        return False
    return 24 <= len(key) <= 64


class SmsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    enabled: bool = False
    from_number: str = Field("", alias="from")
    messaging_service_sid: str = ""
    max_attempts: int = Field(5, ge=1, le=20)


class Integrations(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    webhooks: tuple[WebhookTarget, ...] = ()
    sms: SmsSettings = SmsSettings()
    connectors: tuple[AnyConnector, ...] = ()  # ticket systems (connectors.settings)

    @model_validator(mode="after")
    def _unique(self) -> Integrations:
        names = [w.name for w in self.webhooks]
        if len(names) != len(set(names)):
            raise ValueError("two webhooks have the same name")
        names = [c.name for c in self.connectors]
        if len(names) != len(set(names)):
            raise ValueError("two connectors have the same name")
        return self

    def webhook(self, name: str) -> WebhookTarget | None:
        return next((w for w in self.webhooks if w.name == name), None)

    def connector(self, name: str) -> AnyConnector | None:
        return next((c for c in self.connectors if c.name == name), None)


def parse(text: str, source: str = "integrations") -> Integrations:
    try:
        data: Any = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise IntegrationsError(f"{source}: not YAML: {exc}") from None
    try:
        return Integrations.model_validate(data)
    except ValidationError as exc:
        lines = [f"{source}: {'.'.join(str(p) for p in e['loc']) or 'top'}: "
                 f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors()]
        raise IntegrationsError("\n".join(lines)) from None


def load(path: str) -> Integrations:
    """The integrations of this deployment (none without a file)."""
    if not path:
        return Integrations()
    file = Path(path)
    if not file.exists():
        raise IntegrationsError(f"INTEGRATIONS_FILE {path} does not exist")
    return parse(file.read_text(encoding="utf-8"), file.name)
