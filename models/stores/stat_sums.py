"""The statistics' derived counters, summed from the daily ones (models/stats.py): by month
(`stat_monthly`), and without the staff member and the matter by day and by month
(`stat_daily_window`, `stat_monthly_window`). Re-summed for the groups a refresh recounted,
or for a span of days a rebuild recounted, in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from models.db import dialect, execute
from models.stores.stats import CELL, COUNTERS, Cell, keyed_values, month_of

FINE = CELL[1:]  # region, department, window, staff, matter
COARSE = ("region_id", "department_id", "window_id")


@dataclass(frozen=True)
class Derived:
    table: str
    unit: str  # day | month
    dims: tuple[str, ...]
    source: str
    source_unit: str


# In order: each is summed from a table already current.
DERIVED = (
    Derived("stat_monthly", "month", FINE, "stat_daily", "day"),
    Derived("stat_daily_window", "day", COARSE, "stat_daily", "day"),
    Derived("stat_monthly_window", "month", COARSE, "stat_monthly", "month"),
)


def _period(day: date, unit: str) -> date:
    return day.replace(day=1) if unit == "month" else day


def _next(conn: BaseDBAsyncClient, month: str) -> str:
    if dialect(conn) == "postgres":
        return f"CAST({month} + interval '1 month' AS date)"
    return f"date({month}, '+1 month')"


def _insert(d: Derived, period: str, join: str, where: str) -> str:
    dims = ", ".join(f"s.{x}" for x in d.dims)
    sums = ", ".join(f"SUM(s.{c})" for c in COUNTERS)
    columns = ", ".join((d.unit, *d.dims, "channel", *COUNTERS))
    return (
        f"INSERT INTO {d.table} ({columns}) SELECT {period}, {dims}, s.channel, {sums} "  # noqa: S608 - constants
        f"FROM {d.source} s {join} WHERE {where} GROUP BY {period}, {dims}, s.channel"
    )


async def resum_cells(conn: BaseDBAsyncClient, cells: Sequence[Cell]) -> None:
    """Each derived table's rows for the groups of `cells`, summed again."""
    for d in DERIVED:
        groups = sorted({(_period(c.day, d.unit), *(getattr(c, x) for x in d.dims)) for c in cells})
        values, args = keyed_values(conn, groups)
        keys = ", ".join((d.unit, *d.dims))
        cte = f"WITH v({keys}) AS (VALUES {values}) "
        await execute(
            conn,
            f"{cte}DELETE FROM {d.table} WHERE ({keys}) IN (SELECT * FROM v)",  # noqa: S608
            args,
        )
        same = " AND ".join(f"s.{x} = v.{x}" for x in d.dims)
        if d.unit == d.source_unit:
            on = f"s.{d.unit} = v.{d.unit}"
        else:
            on = f"s.day >= v.month AND s.day < {_next(conn, 'v.month')}"
        join = f"JOIN v ON {same} AND {on}"
        await execute(conn, cte + _insert(d, f"v.{d.unit}", join, "1 = 1"), args)


async def resum_span(conn: BaseDBAsyncClient, first: date, last: date) -> None:
    """Each derived table's rows of the days first..last (whole months for the monthly
    ones), summed again."""
    pg = dialect(conn) == "postgres"
    typed = "CAST(? AS date)" if pg else "?"
    for d in DERIVED:
        low, high = _period(first, d.unit), _period(last, d.unit)
        span: list[Any] = [low, high] if pg else [low.isoformat(), high.isoformat()]
        await execute(
            conn,
            f"DELETE FROM {d.table} WHERE {d.unit} >= ? AND {d.unit} <= ?",  # noqa: S608
            span,
        )
        if d.unit == d.source_unit:
            where, period = f"s.{d.unit} >= ? AND s.{d.unit} <= ?", f"s.{d.unit}"
        else:
            where = f"s.day >= ? AND s.day < {_next(conn, typed)}"
            period = month_of(conn, "s.day")
        await execute(conn, _insert(d, period, "", where), span)


async def analyze(conn: BaseDBAsyncClient) -> None:
    """Fresh planner statistics for the counters after a rebuild rewrote them (PostgreSQL;
    SQLite plans without)."""
    if dialect(conn) == "postgres":
        tables = ("stat_daily", *(d.table for d in DERIVED))
        await execute(conn, f"ANALYZE {', '.join(tables)}")
