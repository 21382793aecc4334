"""Resolving a major incident tells each linked caller once, in their language, within their
calling window: by SMS where their number is a mobile (through the outbox, retried with
backoff), else by the short notice call; never both, never twice. Twilio's Messages and Calls
APIs are mocked with `responses`."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from sqlalchemy import select

from ivr.console.reporting import loading
from tickets import incidents, intake, outbox
from tickets.models import Call, OutboundCall, Ticket
from tickets.outbox import OutboxMessage, Topic
from tickets.statuses import OutboundKind

from ..conftest import MONDAY_10
from ..ivr.test_outbound import (  # noqa: F401  (fixtures)
    CALLS,
    TwilioApi,
    answer,
    dispatcher,
    status_from_twilio,
)
from .test_sms import post_signed

MARCO = "+393331234567"  # an Italian mobile: 11:00 in Rome
SITI = "+60123456789"  # a Malaysian mobile: 18:00 in Kuala Lumpur
ROME_OFFICE = "+390612345678"  # an Italian fixed line
NEW_YORK = "+12025550147"  # a US number (mobile or fixed line): 05:00 there, quiet until 09:00
NOTE = {"en-US": "The mail server was restarted.", "it-IT": "Il server di posta è ripartito."}


@pytest.fixture
def twilio_calls(rsps):
    """Twilio's Calls API on the same mock as its Messages API."""
    api = TwilioApi(rsps)
    rsps.add_callback(responses.POST, CALLS, callback=api.create_call,
                      content_type="application/json")
    rsps.add_callback(responses.GET, CALLS, callback=api.list_calls,
                      content_type="application/json")
    return api


def email_down(db, clock):
    return incidents.declare(db, category="software", service="e-mail", actor="lead",
                             now=clock() - timedelta(minutes=50))


def link(db, clock, incident, number, language, detail=None) -> Ticket:
    return incidents.join(db, incident, number=number, name=None, detail=detail,
                          language=language, customer_id=None, call_id=None, now=clock())


def kinds_booked(db, ticket: Ticket) -> Counter:
    return Counter(o.kind for o in db.scalars(select(OutboundCall).where(
        OutboundCall.ticket_id == ticket.id).execution_options(populate_existing=True)))


def notice_texts(db) -> list[OutboxMessage]:
    return list(db.scalars(select(OutboxMessage).where(
        OutboxMessage.topic == Topic.INCIDENT_NOTICE).order_by(OutboxMessage.id)
        .execution_options(populate_existing=True)))


def test_mobiles_are_texted_and_a_fixed_line_called_once_each_in_their_language(
        app, db, clock, console, users, sms_on, texts, twilio_calls, deliver,
        dispatcher, answer):  # noqa: F811
    incident = email_down(db, clock)
    marco = link(db, clock, incident, MARCO, "it-IT")
    siti = link(db, clock, incident, SITI, "ms-MY")
    office = link(db, clock, incident, ROME_OFFICE, "it-IT")
    link(db, clock, incident, MARCO, "it-IT", detail="still nothing")  # he called twice
    db.commit()

    assert console.login("lead").status_code == 302
    console.get(f"/console/incidents/{incident.id}")
    answer_page = console.post(f"/console/incidents/{incident.id}/resolve", {"note": NOTE["it-IT"]},
                               follow_redirects=True).get_data(as_text=True)
    assert "3 caller(s) will be told" in answer_page
    deliver()
    dispatcher.run_until_idle()
    deliver()
    dispatcher.run_until_idle()

    line = "+1 555-010-0000"
    assert sorted((t["to"], t["body"]) for t in texts.sent) == sorted([
        (MARCO, f"L'Help Desk IT: il problema con e-mail per cui ci ha chiamato è stato "
                f"risolto. {NOTE['it-IT']} Se il problema persiste, ci chiami al {line} "
                f"indicando il ticket {marco.number}."),
        (SITI, f"Meja Bantuan IT: masalah dengan e-mail yang anda laporkan kepada kami telah "
               f"diselesaikan. {NOTE['it-IT']} Jika anda masih menghadapi masalah, hubungi "
               f"kami di {line} dan sebut tiket {siti.number}.")])  # no "ticket resolved" too
    [call] = twilio_calls.placed  # the fixed line only
    assert call["To"] == ROME_OFFICE
    callee = answer(call)
    callee.hears("Il problema con e-mail per cui ci ha chiamato è stato risolto.", NOTE["it-IT"])
    assert callee.languages == {"it-IT"}

    # never both: the texted callers have no notice call, only their closure survey later
    delivered_at = clock()
    for texted in (marco, siti):
        assert kinds_booked(db, texted) == {OutboundKind.CLOSURE: 1}
        survey = db.scalar(select(OutboundCall).where(OutboundCall.ticket_id == texted.id))
        assert survey.due_at == delivered_at + incidents.CLOSURE_AFTER_NOTICE
    assert kinds_booked(db, office) == {OutboundKind.INCIDENT_NOTICE: 1}

    # the callers notified, by either way, in the reports
    report = loading.build(db, MONDAY_10.replace(hour=0), MONDAY_10 + timedelta(days=1),
                           now=clock())
    row = report.table("incidents").row_for(incident.id)
    assert row["linked_callers"] == 3 and row["callers_notified"] == 2  # the call not over yet


def test_a_caller_is_texted_within_their_calling_window_and_a_failed_try_retried(
        app, db, demo, clock, sms_on, texts, deliver):
    incident = email_down(db, clock)
    ny = link(db, clock, incident, NEW_YORK, "en-US")
    db.commit()
    incidents.resolve(db, incident, note=NOTE["en-US"], actor="lead", now=clock(),
                      texting=True)
    db.commit()

    deliver()
    assert texts.sent == []  # 05:00 in New York
    [message] = notice_texts(db)
    assert message.due_at == datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 09:00 there

    clock.current = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    texts.error = (503, {"code": 20503, "message": "Service unavailable", "status": 503})
    deliver()
    texts.error = None
    assert texts.sent == [] and notice_texts(db)[0].status == "pending"
    clock.advance(31)  # the backoff
    deliver()
    clock.advance(3600)
    deliver()
    [sms] = texts.sent
    assert sms["to"] == NEW_YORK and sms["body"] == (
        f"The IT Help Desk: the problem with e-mail that you called us about is fixed. "
        f"{NOTE['en-US']} If you still have a problem, call us on +1 555-010-0000 and quote "
        f"ticket {ny.number}.")
    assert kinds_booked(db, ny) == {OutboundKind.CLOSURE: 1}  # never a call as well


def test_a_retry_that_would_fall_in_quiet_hours_waits_for_the_morning(
        app, db, demo, clock, sms_on, texts, deliver):
    clock.current = datetime(2026, 11, 24, 0, 59, 50, tzinfo=UTC)  # 19:59:50 in New York
    incident = email_down(db, clock)
    link(db, clock, incident, NEW_YORK, "en-US")
    db.commit()
    incidents.resolve(db, incident, note=NOTE["en-US"], actor="lead", now=clock(),
                      texting=True)
    db.commit()
    texts.error = (500, {"code": 20500, "message": "Internal error", "status": 500})
    deliver()
    texts.error = None
    [message] = notice_texts(db)
    assert message.attempts == 1
    assert message.due_at == datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # 09:00 in New York
    clock.advance(60)
    deliver()
    assert texts.sent == []
    clock.current = datetime(2026, 11, 24, 14, 0, 5, tzinfo=UTC)
    deliver()
    assert [t["to"] for t in texts.sent] == [NEW_YORK]


def test_a_mobile_that_cannot_be_texted_is_called_instead_once(
        app, db, demo, clock, sms_on, texts, twilio_calls, deliver, dispatcher):  # noqa: F811
    incident = email_down(db, clock)
    marco = link(db, clock, incident, MARCO, "it-IT")
    siti = link(db, clock, incident, SITI, "ms-MY")
    outbox.opt_out(db, MARCO, "STOP", clock())  # Marco texted STOP
    db.commit()
    told = incidents.resolve(db, incident, note=NOTE["it-IT"], actor="lead", now=clock(),
                             texting=True)
    db.commit()
    assert [c.to_number for c in told.calls] == [MARCO] and len(told.texts) == 1
    texts.error = (400, {"code": 21211, "message": "The 'To' number is not valid.",
                         "status": 400})  # Twilio refuses Siti's number for good
    deliver()
    texts.error = None
    assert notice_texts(db)[0].status == "failed"
    dispatcher.run_until_idle()
    deliver()
    dispatcher.run_until_idle()
    assert texts.sent == []
    assert Counter(p["To"] for p in twilio_calls.placed) == {MARCO: 1, SITI: 1}
    for caller in (marco, siti):
        assert kinds_booked(db, caller) == {OutboundKind.INCIDENT_NOTICE: 1}
    placed = {int(parse_qs(urlsplit(p["Url"]).query)["oc"][0]) for p in twilio_calls.placed}
    assert {db.get(OutboundCall, i).kind for i in placed} == {OutboundKind.INCIDENT_NOTICE}


def test_the_reports_show_the_short_path_the_minutes_saved_and_how_fast_callers_were_told(
        app, db, clock, call, console, users, sms_on, texts, twilio_calls, deliver,
        dispatcher, answer):  # noqa: F811
    for n, minutes in enumerate((5, 7)):  # two normal intakes: 5 and 7 minutes long
        started = clock() - timedelta(minutes=40 - 10 * n)
        made = Call(sid=f"CA{n:032x}", started_at=started)
        db.add(made)
        db.flush()
        intake.open_ticket(db, fields={"category": "software", "problem": "mail"},
                           priority="regular_service", call_id=made.id,
                           now=started + timedelta(minutes=minutes))
    incident = email_down(db, clock)
    db.commit()
    for number in (MARCO, SITI, ROME_OFFICE):  # the short path, in their country's language
        caller = call(from_=number).press("1").speak("Jane Doe").press("1")
        caller.press("*")
        assert caller.hung_up
    assert console.login("lead").status_code == 302
    console.get(f"/console/incidents/{incident.id}")
    clock.advance(30 * 60)
    console.post(f"/console/incidents/{incident.id}/resolve", {"note": NOTE["it-IT"]})

    clock.advance(60)
    deliver()  # the two mobiles texted a minute after
    dispatcher.run_until_idle()
    [placed] = twilio_calls.placed
    clock.advance(3 * 60)
    answer(placed).hears("Il problema con e-mail")
    status_from_twilio(app, placed, "completed")  # the office told four minutes after

    day = MONDAY_10.replace(hour=0)
    row = loading.build(db, day, day + timedelta(days=1), now=clock()) \
        .table("incidents").row_for(incident.id)
    assert row == {"incident": incident.id, "service": "e-mail", "short_path_calls": 3,
                   "intake_minutes_saved": 18.0, "linked_callers": 3, "callers_notified": 3,
                   "median_minutes_to_notify": 1.0}
    csv = console.get("/reports/incidents.csv?from=2026-11-23&to=2026-11-23")
    assert f"{incident.id},e-mail,3,18.0,3,3,1.0" in csv.get_data(as_text=True)


def test_a_text_twilio_could_not_deliver_becomes_one_notice_call(
        app, client, db, clock, sms_on, texts, twilio_calls, deliver, dispatcher):  # noqa: F811
    incident = email_down(db, clock)
    marco = link(db, clock, incident, MARCO, "it-IT")
    db.commit()
    incidents.resolve(db, incident, note=NOTE["it-IT"], actor="lead", now=clock(),
                      texting=True)
    db.commit()
    deliver()
    [sms] = texts.sent
    [message] = notice_texts(db)
    for _ in range(2):  # Twilio repeats its callback
        assert post_signed(client, f"/voice/sms/status?m={message.id}", {
            "MessageSid": sms["sid"], "MessageStatus": "undelivered", "ErrorCode": "30003",
            "AccountSid": sms["account_sid"], "To": MARCO}).status_code == 200
    dispatcher.run_until_idle()
    assert [p["To"] for p in twilio_calls.placed] == [MARCO]
    assert kinds_booked(db, marco)[OutboundKind.INCIDENT_NOTICE] == 1
