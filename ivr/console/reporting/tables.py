"""Report tables: rows of plain values with a title, grouped by day, tier, analyst or
priority, and written out as CSV."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Any

NO_AGENT = "(no analyst)"


@dataclass(frozen=True)
class Table:
    """One report table: a name (for its CSV file), a title, columns and rows of plain values.
    ``chart`` names the column the page draws as bars, one per row."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    chart: str | None = None
    note: str = ""

    def column(self, name: str) -> list[Any]:
        i = self.columns.index(name)
        return [row[i] for row in self.rows]

    def row_for(self, key: Any) -> dict[str, Any]:
        """The row whose first cell is ``key``, as a dict (for reading one figure)."""
        for row in self.rows:
            if row[0] == key:
                return dict(zip(self.columns, row, strict=True))
        raise KeyError(key)


def to_csv(table: Table) -> str:
    """The table as CSV text (header row first; an empty cell where a figure has no data)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow("" if v is None else v for v in row)
    return out.getvalue()


def percent(part: int, whole: int) -> float | None:
    """part/whole as a percentage with one decimal, or None when there is nothing to divide."""
    return round(100.0 * part / whole, 1) if whole else None


def mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


GROUPS = ("day", "tier", "agent", "priority")
HEADINGS = {"day": "day", "tier": "tier", "agent": "analyst", "priority": "priority"}


def _key(row: Any, by: str, tz: tzinfo) -> Any:
    if by == "day":
        return row.at.astimezone(tz).date().isoformat()
    if by == "agent":
        return row.agent or NO_AGENT
    value = getattr(row, by)
    return value if value is not None else "-"


def group(rows: Iterable[Any], by: str, tz: tzinfo = UTC) -> list[tuple[Any, list[Any]]]:
    """Rows grouped by day (in ``tz``), tier, agent or priority, in key order."""
    if by not in GROUPS:
        raise ValueError(f"cannot group by {by!r} (one of {', '.join(GROUPS)})")
    groups: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        groups[_key(row, by, tz)].append(row)
    return sorted(groups.items(), key=lambda kv: (str(type(kv[0])), kv[0]))


def grouped(name: str, title: str, by: str, columns: tuple[str, ...], rows: Iterable[Any],
            figures: Callable[[list[Any]], tuple[Any, ...]], tz: tzinfo, chart: str | None,
            note: str = "") -> Table:
    """A table of one row per group: the group's key, then FIGURES of its members."""
    body = [(key, *figures(members)) for key, members in group(rows, by, tz)]
    return Table(f"{name}-by-{by}", f"{title} by {HEADINGS[by]}", (HEADINGS[by], *columns),
                 body, chart, note)

