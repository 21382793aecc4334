"""Reports routes: the page (date range, service-level threshold) and one CSV per table."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from flask import Response, abort, render_template, request

from tickets.versions import live_policy

from ... import clock, db
from ..auth import role_required
from . import bp, figures, loading
from .charts import bar_chart
from .tables import Table, to_csv

DEFAULT_DAYS = 7
MAX_DAYS = 366
# Days a report may cover: any day whose midnights, in any time zone, are datetimes too.
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9998, 12, 31)


class RangeError(ValueError):
    pass


def line_zone() -> tzinfo:
    """The time zone of the line's opening hours (reports count days and hours in it)."""
    pol = live_policy(db.session())
    return pol.hours.zone if pol.hours else UTC


def _date(name: str, default: date) -> date:
    raw = request.args.get(name)
    if not raw:
        return default
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise RangeError(f"'{name}' must be a date like 2026-11-23") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise RangeError(f"'{name}' must be between {FIRST_DAY} and {LAST_DAY}")
    return day


def read_range(tz: tzinfo) -> tuple[date, date, float]:
    """(first day, last day, service-level threshold) from the query string."""
    today = clock.now().astimezone(tz).date()
    last = _date("to", today)
    first = _date("from", last - timedelta(days=DEFAULT_DAYS - 1))
    if first > last:
        raise RangeError("'from' must not be after 'to'")
    if (last - first).days >= MAX_DAYS:
        raise RangeError(f"a report covers at most {MAX_DAYS} days")
    raw = request.args.get("sl") or str(figures.DEFAULT_SERVICE_LEVEL)
    try:
        threshold = float(raw)
    except ValueError:
        raise RangeError("'sl' (the service level threshold) must be a number of seconds") \
            from None
    if not 1 <= threshold <= 3600:
        raise RangeError("'sl' must be between 1 and 3600 seconds")
    return first, last, threshold


def build(first: date, last: date, threshold: float, tz: tzinfo) -> loading.Report:
    start = datetime.combine(first, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return loading.build(db.session(), start, end, now=clock.now(), tz=tz, threshold=threshold)


def _labels(table: Table) -> list[str]:
    """A bar's label: the row's group (day and hour for calls per hour)."""
    keys = 2 if table.columns[:2] == ("day", "hour") else 1
    return [" ".join(str(cell) for cell in row[:keys]) for row in table.rows]


@bp.get("/")
@role_required("team_lead", "admin")
def index() -> str | tuple[str, int]:
    """Every report table for the chosen days, each with its chart and a CSV link."""
    tz = line_zone()
    try:
        first, last, threshold = read_range(tz)
        error = None
    except RangeError as exc:
        error = str(exc)
        today = clock.now().astimezone(tz).date()
        first, last, threshold = (today - timedelta(days=DEFAULT_DAYS - 1), today,
                                  float(figures.DEFAULT_SERVICE_LEVEL))
    report = build(first, last, threshold, tz)
    charts = {t.name: bar_chart(_labels(t), t.column(t.chart), f"{t.title}: {t.chart}")
              for t in report.tables if t.chart and t.rows}
    query = {"from": first.isoformat(), "to": last.isoformat(), "sl": f"{threshold:g}"}
    html = render_template("reports/index.html", report=report, charts=charts, query=query,
                           error=error, zone=str(tz), threshold=threshold)
    return (html, 400) if error else html


@bp.get("/<name>.csv")
@role_required("team_lead", "admin")
def csv_table(name: str) -> Response:
    """One table as CSV, for the same days and threshold as the page."""
    if name not in figures.table_names():
        abort(404)
    tz = line_zone()
    try:
        first, last, threshold = read_range(tz)
    except RangeError as exc:
        return Response(str(exc) + "\n", status=400, mimetype="text/plain")
    table = build(first, last, threshold, tz).table(name)
    filename = f"{name}_{first.isoformat()}_{last.isoformat()}.csv"
    return Response(to_csv(table), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
