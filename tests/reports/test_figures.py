"""Report figures from plain rows (no database): the numbers a team lead reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ivr.console.reporting import figures, tables
from ivr.console.reporting.rows import CallbackRow, QueueVisit, SurveyRow, TicketRow

MON = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TUE = MON + timedelta(days=1)


def visit(outcome, wait, tier=1, agent=None, at=MON, announced=None, announced_after=0):
    return QueueVisit(joined_at=at, tier=tier, outcome=outcome, wait=wait, agent=agent,
                      announced_wait=announced,
                      announced_at=at + timedelta(seconds=announced_after)
                      if announced is not None else None)


VISITS = [
    visit("answered", 30, agent="Ann"), visit("answered", 50, agent="Ann"),
    visit("answered", 90, agent="Bob"), visit("answered", 200, agent="Bob"),
    visit("abandoned", 20), visit("abandoned", 40), visit("abandoned", 300),
    visit("callback", 400), visit("voicemail", 500),
    visit("answered", 10, tier=2, agent="Tess", at=TUE),
]


def test_speed_of_answer_abandonment_and_asterisk_service_levels_by_tier():
    table = figures.queue_performance(VISITS, "tier", threshold=60)
    tier1 = table.row_for(1)
    assert tier1["answered"] == 4 and tier1["abandoned"] == 3
    assert tier1["callbacks"] == 1 and tier1["voicemails"] == 1
    assert tier1["asa_seconds"] == 92.5            # (30 + 50 + 90 + 200) / 4
    assert tier1["abandonment_pct"] == 42.9        # 3 of 7 answered-or-abandoned
    assert tier1["sl_pct"] == 50.0                 # 2 of 4 answered within 60 s
    assert tier1["sl2_pct"] == 57.1                # (2 answered + 2 abandoned) / 7 within 60 s
    assert table.row_for(2)["sl_pct"] == 100.0
    assert table.note == "service level threshold 60 s"


def test_the_threshold_is_inclusive_like_asterisk():
    table = figures.queue_performance([visit("answered", 60), visit("answered", 61)], "tier",
                                      threshold=60)
    assert table.row_for(1)["sl_pct"] == 50.0


def test_by_agent_and_by_day():
    by_agent = figures.queue_performance(VISITS, "agent", threshold=60)
    assert by_agent.row_for("Ann")["asa_seconds"] == 40.0
    assert by_agent.row_for("Bob")["sl_pct"] == 0.0
    assert by_agent.row_for(tables.NO_AGENT)["abandoned"] == 3
    by_day = figures.queue_performance(VISITS, "day")
    assert [row[0] for row in by_day.rows] == ["2026-11-23", "2026-11-24"]


def test_days_and_hours_are_told_in_the_line_s_time_zone():
    late = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    table = figures.calls_per_hour([late, late, MON], ZoneInfo("Asia/Kuala_Lumpur"))
    assert table.rows == [("2026-11-23", "18:00", 1), ("2026-11-24", "07:00", 2)]


def test_wait_accuracy_compares_the_last_estimate_with_the_wait_after_it():
    rows = [
        visit("answered", 300, announced=240, announced_after=0),    # 60 s longer than told
        visit("answered", 400, announced=120, announced_after=100),  # 300 left, told 120
        visit("answered", 100, announced=None),                      # never told: left out
        visit("abandoned", 50, announced=600),                       # real wait unknown
    ]
    row = figures.wait_accuracy(rows, "tier", tolerance=60).row_for(1)
    assert row["estimates"] == 2
    assert row["announced_avg_s"] == 180.0 and row["actual_avg_s"] == 300.0
    assert row["abs_error_avg_s"] == 120.0 and row["bias_avg_s"] == 120.0
    assert row["within_tolerance_pct"] == 50.0


def test_callbacks_kept_missed_and_open():
    now = MON + timedelta(hours=3)
    rows = [
        CallbackRow(MON, 1, "done", MON + timedelta(minutes=5)),                   # kept
        CallbackRow(MON, 1, "done", MON + timedelta(minutes=40)),                  # late
        CallbackRow(MON, 1, "failed", MON + timedelta(minutes=1)),                 # given up
        CallbackRow(MON, 1, "pending", None),                                      # never placed
        CallbackRow(MON, 1, "done", MON + timedelta(minutes=50),
                    window_end=MON + timedelta(hours=1)),                          # in window
        CallbackRow(now, 1, "pending", MON + timedelta(hours=3),
                    window_end=now + timedelta(hours=1)),                          # retrying
        CallbackRow(MON, 1, "refused", None),                                      # not allowed
        CallbackRow(MON, 1, "canceled", None),                                     # left out
    ]
    row = figures.callbacks(rows, "tier", now=now).row_for(1)
    assert (row["kept"], row["missed"], row["open"]) == (2, 4, 1)
    assert row["kept_pct"] == 33.3


def ticket(priority, **kw):
    base = dict(created_at=MON, priority=priority, tier=1, status="open",
                response_due=MON + timedelta(hours=1), resolution_due=MON + timedelta(hours=8))
    return TicketRow(**{**base, **kw})


def test_sla_compliance_by_priority():
    now = MON + timedelta(hours=4)
    rows = [
        ticket("critical", responded_at=MON + timedelta(minutes=30)),             # met
        ticket("critical", responded_at=MON + timedelta(minutes=90)),             # late
        ticket("critical"),                                                       # overdue
        ticket("critical", responded_at=MON + timedelta(minutes=10),
               response_breached_at=MON + timedelta(minutes=5)),                  # marked
        ticket("regular", response_due=MON + timedelta(hours=8)),                 # not due yet
        ticket("regular", responded_at=MON, resolved_at=MON + timedelta(hours=2),
               response_due=MON + timedelta(hours=8)),
    ]
    table = figures.sla_compliance(rows, "priority", now=now)
    critical = table.row_for("critical")
    assert critical["tickets"] == 4
    assert (critical["response_met"], critical["response_breached"]) == (1, 3)
    assert critical["response_pct"] == 25.0
    assert critical["resolution_pct"] is None  # none resolved, none overdue yet
    regular = table.row_for("regular")
    assert (regular["response_met"], regular["response_breached"]) == (1, 0)
    assert regular["resolution_met"] == 1 and regular["resolution_pct"] == 100.0


def test_first_contact_resolution():
    done = MON + timedelta(minutes=20)
    rows = [
        ticket("r", resolved_at=done, agent="Ann"),                      # first contact
        ticket("r", resolved_at=done, agent="Ann", escalated=True),
        ticket("r", resolved_at=done, agent="Bob", reopened=True),
        ticket("r", resolved_at=done, agent="Bob", other_contacts=1),
        ticket("r", agent="Bob"),                                        # not resolved yet
        ticket("r", resolved_at=done, opened_by_call=False),             # not opened by a call
    ]
    table = figures.first_contact_resolution(rows, "agent")
    assert table.row_for("Ann")["resolved"] == 2 and table.row_for("Ann")["fcr_pct"] == 50.0
    assert table.row_for("Bob")["first_contact"] == 0
    overall = figures.first_contact_resolution(rows, "tier").row_for(1)
    assert (overall["resolved"], overall["first_contact"], overall["fcr_pct"]) == (4, 1, 25.0)


def test_satisfaction_scores():
    rows = [SurveyRow(MON, s, 1, "Ann") for s in (5, 4, 4, 2)] + [SurveyRow(TUE, 1, 2, "Bob")]
    ann = figures.satisfaction(rows, "agent").row_for("Ann")
    assert ann["responses"] == 4 and ann["mean_score"] == 3.8
    assert ann["satisfied_pct"] == 75.0
    assert (ann["score_2"], ann["score_4"], ann["score_5"]) == (1, 2, 1)
    assert figures.satisfaction(rows, "day").row_for("2026-11-24")["mean_score"] == 1.0


def test_csv_has_a_header_and_empty_cells_for_missing_figures():
    table = figures.sla_compliance([ticket("critical", response_due=None,
                                           resolution_due=None)], "priority", now=MON)
    assert tables.to_csv(table).splitlines() == [
        "priority,tickets,response_met,response_breached,response_pct,resolution_met,"
        "resolution_breached,resolution_pct",
        "critical,1,0,0,,0,0,",
    ]


def test_unknown_grouping_is_refused():
    with pytest.raises(ValueError, match="cannot group by 'colour'"):
        tables.group([], "colour")
