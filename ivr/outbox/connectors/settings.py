"""The ticket-system connectors of the integrations file (``connectors:``), one entry each,
several at once allowed:

    connectors:
      - name: zammad                       # shown in the delivery log; in the webhook's URL
        kind: zammad                       # zammad | glpi | jira
        url: https://zammad.example.com
        token_env: ZAMMAD_TOKEN            # an access token (Zammad: profile, Token Access)
        webhook_secret_env: ZAMMAD_HOOK    # the HMAC token of Zammad's webhook (optional)
        mapping:
          category: {hardware: "Hardware", "*": "Users"}       # -> Zammad group
          priority: {critical_situation: "3 high", "*": "2 normal"}
          status_out: {in_progress: open, on_hold: pending reminder, resolved: closed}
          status_in: {closed: resolved, open: in_progress}

What each mapping means depends on the kind (the group, GLPI's ITIL category id, Jira's
request type id; a priority name, GLPI's urgency/impact/priority, Jira's priority name; a state
name, GLPI's status number, Jira's transition id). ``"*"`` is the value for anything unmapped.
Secrets come from the environment only: the file names the variables.
"""

from __future__ import annotations

import os
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tickets.statuses import STATUSES

from ..targets import HttpUrl, Name

Value = str | int


class Mapping(BaseModel):
    """Our words -> theirs (and their statuses -> ours)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    category: dict[str, Value] = {}
    priority: dict[str, Any] = {}
    status_out: dict[str, Value] = {}
    status_in: dict[str, str] = {}

    @field_validator("status_out")
    @classmethod
    def _ours_out(cls, value: dict[str, Value]) -> dict[str, Value]:
        unknown = [s for s in value if s not in STATUSES]
        if unknown:
            raise ValueError(f"not our status(es): {', '.join(unknown)}; ours are "
                             f"{', '.join(STATUSES)}")
        return value

    @field_validator("status_in")
    @classmethod
    def _ours_in(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = [s for s in value.values() if s not in STATUSES]
        if unknown:
            raise ValueError(f"not our status(es): {', '.join(unknown)}; ours are "
                             f"{', '.join(STATUSES)}")
        return value

    def category_of(self, category: str | None) -> Value | None:
        return self.category.get(category or "", self.category.get("*"))

    def priority_of(self, label: str) -> Any:
        return self.priority.get(label, self.priority.get("*"))


class Connector(BaseModel):
    """What every connector has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    url: HttpUrl
    mapping: Mapping = Mapping()
    webhook_secret_env: str = ""
    max_attempts: int = Field(8, ge=1, le=20)

    @field_validator("url")
    @classmethod
    def _base(cls, value: str) -> str:
        return value.rstrip("/")  # paths are joined on with their own /

    def _need(self, *names: str) -> None:
        for name in names:
            variable = getattr(self, name)
            if variable and not os.environ.get(variable):
                raise ValueError(f"{name}: the environment variable {variable} is not set")

    @property
    def webhook_secret(self) -> str:
        return os.environ.get(self.webhook_secret_env, "") if self.webhook_secret_env else ""


class ZammadConnector(Connector):
    kind: Literal["zammad"]
    token_env: str
    customer_email: str = ""  # the customer of a ticket without a phone number ("guess:")
    cti_url_env: str = ""  # the generic CTI endpoint (its URL holds a token: a secret)

    @model_validator(mode="after")
    def _secrets(self) -> ZammadConnector:
        self._need("token_env", "webhook_secret_env", "cti_url_env")
        return self

    @property
    def token(self) -> str:
        return os.environ[self.token_env]

    @property
    def cti_url(self) -> str:
        return os.environ.get(self.cti_url_env, "") if self.cti_url_env else ""


class GlpiConnector(Connector):
    kind: Literal["glpi"]  # url: the API's, ending in apirest.php
    app_token_env: str
    user_token_env: str
    web_url: str = ""  # GLPI's web root for links (default: url without /apirest.php)

    @model_validator(mode="after")
    def _secrets(self) -> GlpiConnector:
        self._need("app_token_env", "user_token_env", "webhook_secret_env")
        for label, value in self.mapping.priority.items():
            if not isinstance(value, dict) or not set(value) <= {"urgency", "impact",
                                                                  "priority"}:
                raise ValueError(f"mapping.priority.{label}: GLPI wants urgency, impact and "
                                 "priority (1 to 6)")
        return self

    @property
    def app_token(self) -> str:
        return os.environ[self.app_token_env]

    @property
    def user_token(self) -> str:
        return os.environ[self.user_token_env]

    @property
    def web_root(self) -> str:
        return (self.web_url or self.url.removesuffix("/apirest.php")).rstrip("/")


class JiraConnector(Connector):
    kind: Literal["jira"]  # url: the site, https://example.atlassian.net
    email: str  # the account the API token belongs to (basic auth)
    api_token_env: str
    service_desk_id: str

    @model_validator(mode="after")
    def _secrets(self) -> JiraConnector:
        self._need("api_token_env", "webhook_secret_env")
        return self

    @property
    def api_token(self) -> str:
        return os.environ[self.api_token_env]


AnyConnector = Annotated[ZammadConnector | GlpiConnector | JiraConnector,
                         Field(discriminator="kind")]
