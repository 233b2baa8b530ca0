"""The statistics' counters (models/stats.py): recounting cells from the raw rows, and
reading them summed for a period, a scope and a grouping.

One recount serves the refresh of marked cells and the rebuild of a span of days, so the
two cannot disagree. A case counts once, in the cell of its completion day and of the
channel of the rating it counts with ('' none): rated by a person at a level (r1..r5), by
default (f1..f5: channel DEFAULT), not at all; `excluded` when an upheld appeal took its
rating out of the statistics (not_counted); `upheld` for any upheld appeal; `held` while a
rating of it waits for review. Its work items count by how far they got (w_*)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from models.db import dialect, execute, fetch

CELL = ("day", "region_id", "department_id", "window_id", "staff_id", "matter_id")
LEVELS = (1, 2, 3, 4, 5)
_COUNTED = "r.id IS NOT NULL AND r.appeal_upheld IS NULL"
_CASE_COUNTERS: dict[str, str] = {
    "cases": "1",
    "excluded": "CASE WHEN r.appeal_upheld = 'not_counted' THEN 1 ELSE 0 END",
    "held": "CASE WHEN EXISTS (SELECT 1 FROM rating h WHERE h.case_id = c.id "
    "AND h.held_for_review) THEN 1 ELSE 0 END",
    "upheld": "CASE WHEN r.appeal_upheld IS NOT NULL THEN 1 ELSE 0 END",
    **{
        f"r{lv}": f"CASE WHEN {_COUNTED} AND r.channel <> 'DEFAULT' AND r.level = {lv} "
        "THEN 1 ELSE 0 END"
        for lv in LEVELS
    },
    **{
        f"f{lv}": f"CASE WHEN {_COUNTED} AND r.channel = 'DEFAULT' AND r.level = {lv} "
        "THEN 1 ELSE 0 END"
        for lv in LEVELS
    },
}


def _did(action: str, extra: str = "") -> str:
    return (
        "CASE WHEN EXISTS (SELECT 1 FROM work_item_event e WHERE e.work_item_id = wi.id "  # noqa: S608 - constants
        f"AND e.action = '{action}'{extra}) THEN 1 ELSE 0 END"
    )


# Overdue: a deadline passed at a step the unit or the admin owns (not the unit's choice to
# appeal, not the rater's follow-up rating).
_OVERDUE = " AND e.step NOT IN ('appeal', 'follow_up_rating')"
_STOOD = "wi.close_reason NOT IN ('APPEAL_UPHELD', 'RATING_CHANGED')"
_ITEM_COUNTERS: dict[str, str] = {
    "w_any": "1",
    "w_open": "CASE WHEN wi.status = 'OPEN' THEN 1 ELSE 0 END",
    "w_called_back": _did("callback_recorded"),
    "w_appealed": _did("appeal_filed"),
    "w_appeal_decided": _did("appeal_decided"),
    "w_appeal_upheld": "CASE WHEN wi.close_reason = 'APPEAL_UPHELD' THEN 1 ELSE 0 END",
    "w_rating_changed": "CASE WHEN wi.close_reason = 'RATING_CHANGED' THEN 1 ELSE 0 END",
    "w_rectified": _did("rectification_submitted"),
    "w_spot_checked": _did("spot_checked"),
    "w_closed": "CASE WHEN wi.status = 'CLOSED' THEN 1 ELSE 0 END",
    "w_follow_up_good": "CASE WHEN wi.close_reason = 'FOLLOW_UP_GOOD' THEN 1 ELSE 0 END",
    "w_overdue": _did("deadline_passed", _OVERDUE),
    "w_closed_in_time": f"CASE WHEN wi.status = 'CLOSED' AND {_STOOD} THEN 1 - "
    + _did("deadline_passed", _OVERDUE)
    + " ELSE 0 END",
}
COUNTERS = (*_CASE_COUNTERS, *_ITEM_COUNTERS)
_CHANNEL = f"CASE WHEN {_COUNTED} THEN r.channel ELSE '' END"
_CELL_OF_CASE = (
    "c.region_id AS region_id, c.department_id AS department_id, "
    "COALESCE(c.window_id, 0) AS window_id, COALESCE(c.staff_id, 0) AS staff_id, "
    "c.matter_id AS matter_id"
)


def _day(conn: BaseDBAsyncClient) -> str:
    """The case's completion day in Beijing (UTC+8, no daylight saving), to the second."""
    if dialect(conn) == "postgres":
        return "(((c.completed_at AT TIME ZONE 'UTC') + interval '8 hours')::date)"
    return "date(substr(c.completed_at, 1, 19), '+8 hours')"


def _recount(conn: BaseDBAsyncClient, join: str, where: str) -> str:
    """SELECT the cells' counters of the cases `join`/`where` select (the two appear twice:
    once for the cases, once for their work items)."""
    day = _day(conn)
    zeros_items = ", ".join(f"0 AS {name}" for name in _ITEM_COUNTERS)
    zeros_cases = ", ".join(f"0 AS {name}" for name in _CASE_COUNTERS)
    cases = ", ".join(f"{sql} AS {name}" for name, sql in _CASE_COUNTERS.items())
    items = ", ".join(f"{sql} AS {name}" for name, sql in _ITEM_COUNTERS.items())
    head = f"SELECT {day} AS day, {_CELL_OF_CASE}, {_CHANNEL} AS channel"
    rated = "LEFT JOIN rating r ON r.id = c.effective_rating_id"
    sums = ", ".join(f"SUM({name})" for name in COUNTERS)
    return (
        f"SELECT {', '.join(CELL)}, channel, {sums} FROM ("  # noqa: S608 - constants
        f"{head}, {cases}, {zeros_items} FROM case_record c {join} {rated} "
        f"WHERE c.completed_at IS NOT NULL AND {where} "
        f"UNION ALL {head}, {zeros_cases}, {items} FROM work_item wi "
        f"JOIN case_record c ON c.id = wi.case_id {join} {rated} "
        f"WHERE c.completed_at IS NOT NULL AND {where}"
        f") x GROUP BY {', '.join(CELL)}, channel"
    )


_INSERT = f"INSERT INTO stat_daily ({', '.join(CELL)}, channel, {', '.join(COUNTERS)}) "


@dataclass(frozen=True)
class Cell:
    day: date
    region_id: int
    department_id: int
    window_id: int
    staff_id: int
    matter_id: int


async def claim_dirty(conn: BaseDBAsyncClient, limit: int) -> list[Cell]:
    """Take at most `limit` marked cells, day by day (in the caller's transaction: a failed
    recount puts them back). By day, so that a bulk of marks (a sweep's defaults, the
    migration that marked every case) comes a day at a time and is recounted whole."""
    cols = ", ".join(CELL)
    if dialect(conn) == "postgres":
        rows = await fetch(
            conn,
            f"DELETE FROM stat_dirty WHERE id IN (SELECT id FROM stat_dirty ORDER BY day "  # noqa: S608
            f"LIMIT ? FOR UPDATE SKIP LOCKED) RETURNING {cols}",
            [limit],
        )
    else:
        rows = await fetch(
            conn,
            f"SELECT id, {cols} FROM stat_dirty ORDER BY day LIMIT ?",  # noqa: S608
            [limit],
        )
        if rows:
            marks = ", ".join("?" * len(rows))
            await execute(
                conn,
                f"DELETE FROM stat_dirty WHERE id IN ({marks})",  # noqa: S608 - placeholders
                [r["id"] for r in rows],
            )
    return [Cell(_as_date(r["day"]), *(int(r[c]) for c in CELL[1:])) for r in rows]


async def bulk_month(conn: BaseDBAsyncClient, at_least: int) -> date | None:
    """The first day of the earliest month with at least `at_least` marked cells (None:
    none has that many; the marks are a few here and there)."""
    month = month_of(conn, "day")
    rows = await fetch(
        conn,
        f"SELECT {month} AS month FROM stat_dirty GROUP BY {month} "  # noqa: S608 - constants
        "HAVING count(*) >= ? ORDER BY 1 LIMIT 1",
        [at_least],
    )
    return _as_date(rows[0]["month"]) if rows else None


async def claim_span(conn: BaseDBAsyncClient, first: date, last: date) -> int:
    """Take every marked cell of the days first..last; how many."""
    span: list[Any] = (
        [first, last] if dialect(conn) == "postgres" else [first.isoformat(), last.isoformat()]
    )
    return await execute(conn, "DELETE FROM stat_dirty WHERE day >= ? AND day <= ?", span)


async def claim_days(conn: BaseDBAsyncClient, days: Sequence[date]) -> int:
    """Take every marked cell of `days` (they are about to be recounted whole); how many."""
    if not days:
        return 0
    values: list[Any] = list(days) if dialect(conn) == "postgres" else [d.isoformat() for d in days]
    marks = ", ".join("?" * len(values))
    return await execute(
        conn,
        f"DELETE FROM stat_dirty WHERE day IN ({marks})",  # noqa: S608 - placeholders
        values,
    )


async def recount_cells(conn: BaseDBAsyncClient, cells: Sequence[Cell]) -> None:
    """Replace the daily counters of `cells` by a recount of their cases."""
    if not cells:
        return
    pg = dialect(conn) == "postgres"
    values, args = keyed_values(conn, [[getattr(cell, c) for c in CELL] for cell in cells])
    cte = f"WITH g({', '.join(CELL)}) AS (VALUES {values}) "
    await execute(
        conn,
        f"{cte}DELETE FROM stat_daily WHERE ({', '.join(CELL)}) IN (SELECT * FROM g)",  # noqa: S608
        args,
    )
    if pg:
        on_day = (
            "c.completed_at >= ((g.day::timestamp - interval '8 hours') AT TIME ZONE 'UTC') AND "
            "c.completed_at < (((g.day + 1)::timestamp - interval '8 hours') AT TIME ZONE 'UTC')"
        )
    else:
        on_day = f"{_day(conn)} = g.day"
    join = (
        "JOIN g ON c.department_id = g.department_id AND c.region_id = g.region_id AND "
        "COALESCE(c.window_id, 0) = g.window_id AND COALESCE(c.staff_id, 0) = g.staff_id "
        f"AND c.matter_id = g.matter_id AND {on_day}"
    )
    await execute(conn, cte + _INSERT + _recount(conn, join, "1 = 1"), args)


def month_of(conn: BaseDBAsyncClient, day: str) -> str:
    """The first day of the month of the day expression `day`."""
    if dialect(conn) == "postgres":
        return f"CAST(date_trunc('month', {day}) AS date)"
    return f"strftime('%Y-%m-01', {day})"


def keyed_values(conn: BaseDBAsyncClient, rows: Sequence[Sequence[Any]]) -> tuple[str, list[Any]]:
    """A VALUES list of `rows` (a day, then integers: a cell's or a group's key) and its
    arguments. PostgreSQL types a VALUES column by its first row; SQLite takes days as text."""
    pg = dialect(conn) == "postgres"
    width = len(rows[0])
    plain = "(" + ", ".join("?" * width) + ")"
    first = "(" + ", ".join(["CAST(? AS date)"] + ["CAST(? AS integer)"] * (width - 1)) + ")"
    values = ", ".join([first if pg else plain] + [plain] * (len(rows) - 1))
    args = [v.isoformat() if not pg and isinstance(v, date) else v for row in rows for v in row]
    return values, args


async def rebuild_days(
    conn: BaseDBAsyncClient, first: date, last: date, start: datetime, end: datetime
) -> None:
    """Recount every cell of the days first..last (`start`..`end` the same span as instants)."""
    days: list[Any] = (
        [first, last] if dialect(conn) == "postgres" else [first.isoformat(), last.isoformat()]
    )
    await execute(conn, "DELETE FROM stat_daily WHERE day >= ? AND day <= ?", days)
    args: list[Any]
    if dialect(conn) == "postgres":
        where, args = "c.completed_at >= ? AND c.completed_at < ?", [start, end]
    else:
        where, args = f"{_day(conn)} >= ? AND {_day(conn)} <= ?", days
    await execute(conn, _INSERT + _recount(conn, "", where), args + args)


async def case_span(conn: BaseDBAsyncClient) -> tuple[datetime, datetime] | None:
    """The first and last completion time of any case (None: no completed case)."""
    rows = await fetch(
        conn,
        "SELECT MIN(completed_at) AS first, MAX(completed_at) AS last FROM case_record "
        "WHERE completed_at IS NOT NULL",
    )
    if not rows or rows[0]["first"] is None:
        return None
    return _as_datetime(rows[0]["first"]), _as_datetime(rows[0]["last"])


async def oldest_mark(conn: BaseDBAsyncClient) -> datetime | None:
    """When the longest-waiting marked cell was marked (None: the figures are current)."""
    rows = await fetch(conn, "SELECT MIN(marked_at) AS oldest FROM stat_dirty")
    value = rows[0]["oldest"] if rows else None
    return None if value is None else _as_datetime(value)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


# One recount at a time (refresh batches, a rebuild's months): two of them re-summing the
# same month's rows at once would both insert them. Held to the end of the transaction.
_RECOUNT_LOCK = 0x68637073_74617473  # "hcpstats"


async def recount_lock(conn: BaseDBAsyncClient) -> None:
    """Wait for, and hold until commit, the right to recount (PostgreSQL; SQLite has one
    writer at a time anyway)."""
    if dialect(conn) == "postgres":
        await fetch(conn, "SELECT pg_advisory_xact_lock(?) AS held", [_RECOUNT_LOCK])
