"""The plan page's timeline: planned against actual dates per stage and per system, laid out as coordinates
for a server-rendered SVG (plans/_timeline.html draws it, no script). Pure: no database, no HTTP."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from control.core.stages import behind_days

LABEL_WIDTH = 190       # the names on the left
CHART_WIDTH = 560       # the dates
ROW_HEIGHT = 26
TOP = 30                # room for the date axis


@dataclass
class Bar:
    """One line of the chart: what it is, when it started, its planned and actual end dates."""
    label: str
    kind: str                       # stage | system
    start: date | None
    planned: date | None
    actual: date | None
    behind: int = 0                 # days past the planned date without (or before) an actual date


@dataclass
class Placed:
    bar: Bar
    y: int
    start_x: float | None
    planned_x: float | None
    actual_x: float | None          # the actual end, or today while the item is open
    late_from_x: float | None       # where the late part begins (the planned date) when behind
    open: bool


def bars(stages: list, systems: list[dict], day: date) -> list[Bar]:
    """The rows: each stage that carries a date (planned date, or a review deadline) and each system."""
    out = [Bar(s.name, "stage", s.start_date, s.planned_date or s.due_date, s.done_date,
               behind_days(s.planned_date, s.done_date, day) if s.planned_date else 0)
           for s in stages]
    migration_start = next((s.start_date for s in stages if s.planned_date and s.stage == "migration"), None)
    out += [Bar(s["system_name"], "system", s["started_date"] or migration_start, s["planned_date"],
                s["migrated_date"], s["days_behind"]) for s in systems]
    return out


def layout(rows: list[Bar], day: date) -> dict | None:
    """Coordinates of every row on one date scale from the earliest date to the latest (today included)."""
    dates = [d for r in rows for d in (r.start, r.planned, r.actual) if d is not None]
    if not dates:
        return None
    first, last = min(*dates, day), max(*dates, day)
    span = max((last - first).days, 1)

    def x(d: date | None) -> float | None:
        return None if d is None else round(LABEL_WIDTH + CHART_WIDTH * (d - first).days / span, 1)

    placed = []
    for i, r in enumerate(rows):
        end = r.actual or (day if r.start else None)
        placed.append(Placed(r, TOP + i * ROW_HEIGHT, x(r.start), x(r.planned), x(end),
                             x(r.planned) if r.behind else None, r.actual is None))
    return {"rows": placed, "first": first, "last": last, "today_x": x(day), "left": LABEL_WIDTH,
            "right": LABEL_WIDTH + CHART_WIDTH, "width": LABEL_WIDTH + CHART_WIDTH + 90,
            "height": TOP + len(rows) * ROW_HEIGHT + 10, "row_height": ROW_HEIGHT}
