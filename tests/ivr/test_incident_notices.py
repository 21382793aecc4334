"""Resolving a major incident tells every linked caller once, in their language, within their
calling window: a short call through the outbound dispatcher (retried like any booked call),
their tickets resolved with the parent's note; the closure survey comes after."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from tickets import incidents
from tickets.models import OutboundCall, Ticket
from tickets.statuses import OutboundKind

from .test_outbound import (  # noqa: F401  (fixtures)
    answer,
    dispatcher,
    fresh,
    status_from_twilio,
    travel,
    twilio_api,
)

MARCO = "+393331234567"  # Rome: 10:00 UTC is 11:00 there
SITI = "+60123456789"  # Kuala Lumpur: 18:00 there
NEW_YORK = "+12025550147"  # 05:00 there: quiet hours until 09:00 (14:00 UTC)


def booking(placed: dict) -> int:
    return int(parse_qs(urlsplit(placed["Url"]).query)["oc"][0])


def notices_placed(db, api) -> Counter:
    """How many notice calls were dialled to each number."""
    kinds = {o.id: o.kind for o in db.scalars(select(OutboundCall))}
    return Counter(p["To"] for p in api.placed
                   if kinds[booking(p)] == OutboundKind.INCIDENT_NOTICE)


def test_each_linked_caller_is_told_once_in_their_language_within_their_hours(
        app, db, demo, travel, twilio_api, dispatcher, answer):  # noqa: F811
    now = datetime.now(UTC)
    incident = incidents.declare(db, category="software", service="e-mail", actor="lead",
                                 now=now - timedelta(minutes=50))
    for number, language in ((MARCO, "it-IT"), (SITI, "ms-MY"), (NEW_YORK, "en-US")):
        incidents.join(db, incident, number=number, name=None, detail=None, language=language,
                       customer_id=None, call_id=None, now=now)
    incidents.join(db, incident, number=MARCO, name=None, detail="again", language="it-IT",
                   customer_id=None, call_id=None, now=now)  # he called twice
    db.commit()
    notices = incidents.resolve(db, incident, note="Il server di posta è ripartito.",
                                actor="lead", now=now)
    db.commit()
    assert len(notices) == 3

    dispatcher.run_until_idle()
    assert notices_placed(db, twilio_api) == {MARCO: 1, SITI: 1}  # New York is asleep
    ny = db.scalar(select(OutboundCall).where(OutboundCall.to_number == NEW_YORK,
                                              OutboundCall.kind == OutboundKind.INCIDENT_NOTICE)
                   .execution_options(populate_existing=True))
    assert ny.status == "pending" and ny.due_at == datetime(2026, 11, 23, 14, 0, tzinfo=UTC)

    to_marco, to_siti = twilio_api.placed
    callee = answer(to_marco)
    callee.hears("Il problema con e-mail per cui ci ha chiamato è stato risolto.",
                 "Il server di posta è ripartito.")
    assert callee.hung_up and callee.languages == {"it-IT"}
    status_from_twilio(app, to_marco, "completed")
    status_from_twilio(app, to_siti, "no-answer")  # Siti is tried again later

    travel.shift(timedelta(seconds=601))
    dispatcher.run_until_idle()
    again = twilio_api.placed[-1]
    assert again["To"] == SITI
    machine = answer(again, answered_by="machine_end_beep")
    machine.hears("Masalah dengan e-mail yang anda laporkan kepada kami telah diselesaikan.")
    status_from_twilio(app, again, "completed", answered_by="machine_end_beep")

    travel.move_to(datetime(2026, 11, 23, 14, 1, tzinfo=UTC))
    dispatcher.run_until_idle()
    to_ny = [p for p in twilio_api.placed if p["To"] == NEW_YORK and
             db.get(OutboundCall, booking(p)).kind == OutboundKind.INCIDENT_NOTICE]
    assert len(to_ny) == 1
    answer(to_ny[0]).hears("The problem with e-mail that you called us about is fixed.")
    status_from_twilio(app, to_ny[0], "completed")

    travel.shift(timedelta(hours=6))
    dispatcher.run_until_idle()
    assert notices_placed(db, twilio_api) == {MARCO: 1, SITI: 2, NEW_YORK: 1}  # one retry
    rows = db.scalars(select(OutboundCall).where(
        OutboundCall.kind == OutboundKind.INCIDENT_NOTICE)
        .execution_options(populate_existing=True)).all()
    assert sorted(r.status for r in rows) == ["done", "done", "done"]
    assert {r.result for r in rows} == {"reached", "message left on a machine"}


def test_children_are_resolved_with_the_parents_note_and_surveyed_after_the_notice(
        app, db, demo, travel, twilio_api, dispatcher, answer):  # noqa: F811
    now = datetime.now(UTC)
    incident = incidents.declare(db, category="network", service="VPN", actor="lead", now=now)
    child = incidents.join(db, incident, number=MARCO, name="Marco", detail=None,
                           language="it-IT", customer_id=None, call_id=None, now=now)
    db.commit()
    incidents.resolve(db, incident, note="Concentratore VPN sostituito.", actor="lead", now=now)
    db.commit()
    ticket = fresh(db, Ticket, child.id)
    assert ticket.status == "resolved"
    dispatcher.run_until_idle()
    [notice] = twilio_api.placed
    answer(notice).hears("Concentratore VPN sostituito.")
    status_from_twilio(app, notice, "completed")
    travel.shift(incidents.CLOSURE_AFTER_NOTICE + timedelta(minutes=1))
    dispatcher.run_until_idle()
    survey = twilio_api.placed[-1]
    assert db.get(OutboundCall, booking(survey)).kind == OutboundKind.CLOSURE
    answer(survey).hears("risolto")
