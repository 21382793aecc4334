"""The major-incident figures of the reports: calls that took the short path, intake minutes
saved (their count times the median intake length), callers notified and how fast."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from ivr.console.reporting import figures, loading
from ivr.console.reporting.rows import IncidentRow
from tickets import bookings, incidents, intake
from tickets.models import Call, OutboundCall
from tickets.statuses import OutboundKind, OutboundStatus

from ..console.conftest import console, users  # noqa: F401  (the console's fixtures)

DAY = datetime(2026, 11, 23, tzinfo=UTC)
NINE = DAY + timedelta(hours=9)


def test_minutes_saved_are_short_path_calls_times_the_median_intake():
    rows = [IncidentRow(NINE, 1, "e-mail", short_path_calls=12, linked_callers=10,
                        resolved_at=NINE + timedelta(hours=2),
                        notified_after=(60.0, 300.0, 900.0)),
            IncidentRow(NINE + timedelta(hours=3), 2, "VPN", short_path_calls=1,
                        linked_callers=1)]
    table = figures.incident_figures(rows, intake_seconds=[240.0, 300.0, 420.0, 600.0])
    assert table.name == "incidents"
    assert table.row_for(1) == {"incident": 1, "service": "e-mail", "short_path_calls": 12,
                                "intake_minutes_saved": 72.0, "linked_callers": 10,
                                "callers_notified": 3, "median_minutes_to_notify": 5.0}
    assert table.row_for(2)["callers_notified"] == 0
    assert table.row_for(2)["median_minutes_to_notify"] is None
    assert "Median intake: 6.0 min." in table.note
    no_intakes = figures.incident_figures(rows, intake_seconds=[])
    assert no_intakes.row_for(1)["intake_minutes_saved"] is None


def call_at(db, sid, at):
    call = Call(sid=sid, started_at=at)
    db.add(call)
    db.flush()
    return call


def test_the_reports_read_them_from_the_calls_tickets_and_notices(db):
    # two normal intakes: 5 and 7 minutes from answer to ticket
    for n, minutes in enumerate((5, 7)):
        call = call_at(db, f"CA{n}", NINE + timedelta(minutes=10 * n))
        intake.open_ticket(db, fields={"category": "software", "problem": "mail"},
                           priority="regular_service", call_id=call.id,
                           now=call.started_at + timedelta(minutes=minutes))
    incident = incidents.declare(db, category="software", service="e-mail", actor="lead",
                                 now=NINE)
    for n, number in enumerate(("+12025550147", "+12025550148", "+12025550147")):
        call = call_at(db, f"CB{n}", NINE + timedelta(minutes=30 + n))
        incidents.join(db, incident, number=number, name=None, detail=None, language="en-US",
                       customer_id=None, call_id=call.id, now=call.started_at)
    resolved = NINE + timedelta(hours=2)
    incidents.resolve(db, incident, note="fixed", actor="lead", now=resolved)
    first = db.scalars(select(OutboundCall).where(
        OutboundCall.kind == OutboundKind.INCIDENT_NOTICE).order_by(OutboundCall.id)).first()
    bookings.close(db, first, resolved + timedelta(minutes=4), OutboundStatus.DONE, "told")
    db.commit()

    report = loading.build(db, DAY, DAY + timedelta(days=1), now=DAY + timedelta(hours=12))
    row = report.table("incidents").row_for(incident.id)
    assert row["short_path_calls"] == 3  # one caller called twice
    assert row["linked_callers"] == 2
    assert row["intake_minutes_saved"] == 18.0  # 3 calls x the median intake of 6 minutes
    assert row["callers_notified"] == 1 and row["median_minutes_to_notify"] == 4.0


def test_the_team_lead_reads_them_on_the_reports_page_and_as_csv(console, users, db, clock):  # noqa: F811
    incident = incidents.declare(db, category="network", service="VPN", actor="lead", now=NINE)
    incidents.join(db, incident, number="+12025550147", name=None, detail=None,
                   language="en-US", customer_id=None, call_id=None, now=NINE)
    db.commit()
    assert console.login("lead").status_code == 302
    page = console.get("/reports/?from=2026-11-23&to=2026-11-23").get_data(as_text=True)
    assert "Major incidents" in page and "short path calls" in page
    csv_text = console.get("/reports/incidents.csv?from=2026-11-23&to=2026-11-23")
    assert csv_text.get_data(as_text=True).splitlines()[1].startswith(f"{incident.id},VPN,1,")
