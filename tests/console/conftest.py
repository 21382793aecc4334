"""Console fixtures: logins of each role, and a browser-like client that sends CSRF tokens."""

from __future__ import annotations

import re

import pytest

from ivr.console.auth import create_user
from tickets.models import Agent

PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = TOKEN.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


class Console:
    """A person at the console: logs in, opens pages, submits forms (with the page's token)."""

    def __init__(self, client):
        self.client = client
        self.token = ""

    def get(self, path: str, **kwargs):
        response = self.client.get(path, **kwargs)
        if response.mimetype == "text/html":
            match = TOKEN.search(response.get_data(as_text=True))
            if match:
                self.token = match.group(1)
        return response

    def post(self, path: str, data: dict | None = None, **kwargs):
        return self.client.post(path, data={"csrf_token": self.token, **(data or {})},
                                **kwargs)

    def post_json(self, path: str, payload: dict | None = None):
        return self.client.post(path, json=payload or {}, headers={"X-CSRFToken": self.token})

    def login(self, username: str, password: str = PASSWORD):
        self.get("/login")
        response = self.post("/login", {"username": username, "password": password})
        self.token = ""
        if response.status_code == 302:  # the landing page carries the new session's token
            self.get(response.headers["Location"])
        return response


@pytest.fixture
def users(db):
    """An admin, a team lead, and two analysts (tier 1 and tier 2) with console logins."""
    ann = Agent(name="Ann Analyst", phone="+15550142001", tier=1, skills=[])
    tess = Agent(name="Tess Two", phone="+15550142003", tier=2, skills=[])
    db.add_all([ann, tess])
    db.flush()
    create_user(db, "admin", PASSWORD, "admin", name="Ada Admin")
    create_user(db, "lead", PASSWORD, "team_lead", name="Dana Lead")
    create_user(db, "ann", PASSWORD, "agent", name="Ann Analyst", agent_id=ann.id)
    create_user(db, "tess", PASSWORD, "agent", name="Tess Two", agent_id=tess.id)
    db.commit()
    return {"ann": ann, "tess": tess}


@pytest.fixture
def console(client):
    return Console(client)


@pytest.fixture
def as_admin(console, users):
    assert console.login("admin").status_code == 302
    return console


@pytest.fixture
def as_ann(console, users):
    assert console.login("ann").status_code == 302
    return console
