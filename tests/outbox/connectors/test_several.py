"""Several ticket systems at once: each gets the ticket and keeps its own key; one that fails
holds up no other."""

from __future__ import annotations

import pytest

from tickets import links

from . import test_jira, test_zammad
from .conftest import System, configure, connector_messages, shapes


def test_each_system_gets_the_ticket_and_one_failing_holds_up_no_other(
        app, db, ticket, rsps, monkeypatch, deliver):
    both = test_zammad.CONFIG + test_jira.CONFIG.replace("connectors:\n", "")
    configure(app, monkeypatch, both, ZAMMAD_TOKEN="zt", JIRA_API_TOKEN="jt")
    zammad = System(rsps, shapes("zammad"))
    zammad.route("POST", rf"{test_zammad.ZAMMAD}/api/v1/users/search$", "users_search")
    zammad.route("POST", rf"{test_zammad.ZAMMAD}/api/v1/tickets$", "ticket_create")
    jira = System(rsps, shapes("jira"))
    jira.route("POST", rf"{test_jira.REQUEST}$", "request_create")
    zammad.fail("ticket_create", {"status": 502, "body": {"error": "Bad Gateway"}})
    deliver()
    assert links.link_of(db, ticket.id, "jira").key == "HELPDESK-1"
    assert links.link_of(db, ticket.id, "zammad") is None
    assert {m.target: m.status for m in connector_messages(db)} == {"zammad": "pending",
                                                                    "jira": "delivered"}


def test_a_connector_with_a_bad_name_or_url_is_refused_naming_the_line(monkeypatch):
    """The same checks as a webhook's: an admin sees which entry and field are wrong."""
    from ivr.outbox.settings import IntegrationsError, parse

    monkeypatch.setenv("ZAMMAD_TOKEN", "t")
    with pytest.raises(IntegrationsError) as refused:
        parse("connectors:\n  - {name: Zammad Prod, kind: zammad, url: 'ftp://z.example.test',"
              " token_env: ZAMMAD_TOKEN, customer_email: line@example.com}\n")
    message = str(refused.value)
    assert "lower-case letters, digits" in message and "must be an http(s) URL" in message
    ok = parse("connectors:\n  - {name: zammad, kind: zammad, url: 'https://z.example.test/',"
               " token_env: ZAMMAD_TOKEN, customer_email: line@example.com}\n")
    assert ok.connectors[0].url == "https://z.example.test"  # paths are joined on with /
