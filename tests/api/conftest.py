"""An API client holding a valid bearer token."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ivr.api.tokens import create_token
from tickets.accounts import SCOPES

from ..console.conftest import as_ann, console, users  # noqa: F401  (console logins)
from ..ivr.test_outbound import dispatcher, twilio_api  # noqa: F401  (Twilio's calls, mocked)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def token(db) -> str:
    """A token that may do everything, for every tier."""
    _row, token = create_token(db, "crm-sync", NOW, SCOPES)
    db.commit()
    return token


@pytest.fixture
def api(client, token):
    """client.get/post with ``Authorization: Bearer <token>``."""

    class Api:
        headers = {"Authorization": f"Bearer {token}"}

        def get(self, path, **kw):
            return client.get(path, headers=self.headers, **kw)

        def post(self, path, **kw):
            return client.post(path, headers=self.headers, **kw)

    return Api()
