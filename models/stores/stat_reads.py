"""Reading the statistics' counters: summed over a span of days for a scope, grouped by
period (day or month) and by the cells' dimensions; the names of what they group by."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from models.db import dialect, fetch
from models.stores.scope import SUB_REGIONS
from models.stores.stats import COUNTERS, month_of

# A dimension's column in stat_daily and the reference table its ids name (channel: none).
DIMENSIONS: dict[str, str | None] = {
    "region_id": "region",
    "department_id": "department",
    "window_id": "service_window",
    "staff_id": "staff",
    "matter_id": "matter",
    "channel": None,
}


@dataclass(frozen=True)
class StatFilter:
    """Each given part narrows: the region with its sub-regions, a department, window,
    staff member or matter by code, a channel ('' the cases counted with no rating)."""

    region_code: str | None = None
    department_code: str | None = None
    window_code: str | None = None
    staff_code: str | None = None
    matter_code: str | None = None
    channel: str | None = None


def _conditions(chosen: StatFilter) -> tuple[list[str], list[Any]]:
    parts: list[tuple[str, str | None]] = [
        (f"s.region_id IN {SUB_REGIONS}", chosen.region_code),
        ("s.department_id = (SELECT id FROM department WHERE code = ?)", chosen.department_code),
        ("s.window_id = (SELECT id FROM service_window WHERE code = ?)", chosen.window_code),
        ("s.staff_id = (SELECT id FROM staff WHERE code = ?)", chosen.staff_code),
        ("s.matter_id = (SELECT id FROM matter WHERE code = ?)", chosen.matter_code),
        ("s.channel = ?", chosen.channel),
    ]
    given = [(sql, value) for sql, value in parts if value is not None]
    return [sql for sql, _ in given], [value for _, value in given]


async def sum_counters(
    conn: BaseDBAsyncClient,
    chosen: StatFilter,
    first: date,
    last: date,
    *,
    by_month: bool,
    group: Sequence[str],
    counters: Sequence[str],
) -> list[dict[str, Any]]:
    """Rows of `period` (the day, or the month's first day), the `group` columns and the
    sums of `counters`, over the days first..last. By month, the whole months in the span
    are read from the monthly rows and only the days of a month cut by the span from the
    daily ones; a period may then come in two rows, which the caller adds up."""
    unknown = [name for name in (*group, *counters) if name not in (*DIMENSIONS, *COUNTERS)]
    if unknown:
        raise ValueError(f"not a statistics column: {unknown[0]}")
    parts = _parts(first, last) if by_month else [("day", first, last)]
    fine = bool({"staff_id", "matter_id"} & set(group)) or bool(
        chosen.staff_code or chosen.matter_code
    )
    rows: list[dict[str, Any]] = []
    for unit, start, end in parts:
        table = _TABLES[unit, fine]
        rows += await _sums(conn, chosen, table, unit, start, end, by_month, group, counters)
    return rows


# (unit, by staff or matter) -> the table that answers with the fewest rows.
_TABLES = {
    ("day", True): "stat_daily",
    ("month", True): "stat_monthly",
    ("day", False): "stat_daily_window",
    ("month", False): "stat_monthly_window",
}


def _parts(first: date, last: date) -> list[tuple[str, date, date]]:
    """first..last as (table unit, start, end): the days before the first whole month, the
    whole months (by their first days), the days after the last whole month."""
    head_end = first if first.day == 1 else _next_month(first)  # first whole month's day 1
    tail_start = _next_month(last).replace(day=1)
    if last != tail_start - timedelta(days=1):
        tail_start = last.replace(day=1)  # the last month is cut: its days are the tail
    if head_end >= tail_start:
        return [("day", first, last)]  # no whole month inside
    parts = []
    if first < head_end:
        parts.append(("day", first, head_end - timedelta(days=1)))
    parts.append(("month", head_end, tail_start - timedelta(days=1)))
    if tail_start <= last:
        parts.append(("day", tail_start, last))
    return parts


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


async def _sums(
    conn: BaseDBAsyncClient,
    chosen: StatFilter,
    table: str,
    unit: str,
    first: date,
    last: date,
    by_month: bool,
    group: Sequence[str],
    counters: Sequence[str],
) -> list[dict[str, Any]]:
    pg = dialect(conn) == "postgres"
    period = month_of(conn, "s.day") if by_month and unit == "day" else f"s.{unit}"
    conditions, args = _conditions(chosen)
    where = " AND ".join([f"s.{unit} >= ?", f"s.{unit} <= ?", *conditions])
    keys = ", ".join(["period", *(f"s.{g}" for g in group)])
    sums = ", ".join(f"SUM(s.{c}) AS {c}" for c in counters)
    days: list[Any] = [first, last] if pg else [first.isoformat(), last.isoformat()]
    select_keys = ", ".join([f"{period} AS period", *(f"s.{g} AS {g}" for g in group)])
    rows = await fetch(
        conn,
        f"SELECT {select_keys}, {sums} FROM {table} s WHERE {where} "  # noqa: S608 - checked
        f"GROUP BY {keys}",
        days + args,
    )
    for row in rows:
        value = row["period"]
        row["period"] = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        for c in counters:
            row[c] = int(row[c] or 0)
    return rows


async def names(
    conn: BaseDBAsyncClient, dimension: str, ids: Sequence[int]
) -> dict[int, tuple[str, str]]:
    """(code, name) of the ids of a dimension's reference table."""
    table = DIMENSIONS[dimension]
    wanted = sorted({i for i in ids if i})
    if table is None or not wanted:
        return {}
    marks = ", ".join("?" * len(wanted))
    rows = await fetch(
        conn,
        f"SELECT id, code, name FROM {table} WHERE id IN ({marks})",  # noqa: S608 - a known table
        wanted,
    )
    return {int(r["id"]): (str(r["code"]), str(r["name"])) for r in rows}


async def code_exists(conn: BaseDBAsyncClient, dimension: str, code: str) -> bool:
    table = DIMENSIONS[dimension]
    if table is None:
        return True
    rows = await fetch(conn, f"SELECT 1 AS ok FROM {table} WHERE code = ?", [code])  # noqa: S608
    return bool(rows)


async def region_within(conn: BaseDBAsyncClient, code: str, ancestor: str) -> bool:
    """Is region `code` the region `ancestor` or below it?"""
    return await _within(conn, "region", "id", code, ancestor)


async def department_within(conn: BaseDBAsyncClient, code: str, region: str) -> bool:
    """Is department `code` one of region `region` or of a region below it?"""
    return await _within(conn, "department", "region_id", code, region)


async def _within(conn: BaseDBAsyncClient, table: str, column: str, code: str, region: str) -> bool:
    rows = await fetch(
        conn,
        f"SELECT 1 AS ok FROM {table} WHERE code = ? AND {column} IN {SUB_REGIONS}",  # noqa: S608
        [code, region],
    )
    return bool(rows)
