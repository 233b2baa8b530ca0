"""The figures: the policy's metrics (`engine.metrics()`) over the statistics' counters, for
a period, a scope and a grouping, each with its numerator and denominator.

Who sees what: an area admin their region and below, a department's handler their
department, window staff their own figures; nobody else. A scope reaching past that is
refused (OUT_OF_SCOPE), never silently narrowed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from models.db import connection
from models.stores import stat_reads as store
from models.stores.stat_reads import StatFilter
from rules import Engine, MetricRule
from services.identity import Principal, Role
from services.stats_refresh import lag

MAX_DAYS = 366 * 5 + 1  # five years
MAX_DAYS_BY_DAY = 366  # one row per day and group: a year at most


class Granularity(StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    QUARTER = "QUARTER"
    YEAR = "YEAR"


class Dimension(StrEnum):
    REGION = "region_id"
    DEPARTMENT = "department_id"
    WINDOW = "window_id"
    STAFF = "staff_id"
    MATTER = "matter_id"
    CHANNEL = "channel"


class StatsError(Exception):
    """A request the statistics refuse; `code` is stable, the message holds no data."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Figure:
    metric: str
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class GroupKey:
    dimension: Dimension
    code: str  # a channel's own code; '' for the cases counted without a rating
    name: str


@dataclass(frozen=True)
class StatRow:
    period: str
    period_start: date
    group: tuple[GroupKey, ...]
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class StatsTable:
    metrics: tuple[MetricRule, ...]
    rows: tuple[StatRow, ...]
    lag: timedelta


@dataclass(frozen=True)
class Period:
    first: date
    last: date


def period_start(day: date, granularity: Granularity) -> date:
    match granularity:
        case Granularity.DAY:
            return day
        case Granularity.WEEK:
            return day - timedelta(days=day.weekday())
        case Granularity.MONTH:
            return day.replace(day=1)
        case Granularity.QUARTER:
            return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def period_label(start: date, granularity: Granularity) -> str:
    match granularity:
        case Granularity.DAY:
            return start.isoformat()
        case Granularity.WEEK:
            year, week, _ = start.isocalendar()
            return f"{year}-W{week:02d}"
        case Granularity.MONTH:
            return f"{start:%Y-%m}"
        case Granularity.QUARTER:
            return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


def chosen_metrics(engine: Engine, codes: Sequence[str] | None) -> tuple[MetricRule, ...]:
    book = engine.metrics()
    if not codes:
        return book.metrics
    found = []
    for code in dict.fromkeys(codes):
        metric = book.get(code)
        if metric is None:
            known = ", ".join(m.code for m in book.metrics) or "none"
            raise StatsError("UNKNOWN_METRIC", f"no metric {code!r} in the policy; it has {known}")
        found.append(metric)
    return tuple(found)


def check_period(period: Period, granularity: Granularity | None) -> None:
    if period.first > period.last:
        raise StatsError("BAD_PERIOD", "the period's `from` is after its `to`")
    days = (period.last - period.first).days + 1
    if days > MAX_DAYS:
        raise StatsError("BAD_PERIOD", "a period is at most five years")
    if granularity is Granularity.DAY and days > MAX_DAYS_BY_DAY:
        raise StatsError("BAD_PERIOD", "figures by day cover at most a year; choose WEEK or MONTH")


async def bounded(viewer: Principal, scope: StatFilter) -> StatFilter:
    """`scope` within what `viewer` may see, or OUT_OF_SCOPE / FORBIDDEN / NOT_FOUND."""
    conn = connection()
    for dimension, code in (
        ("region_id", scope.region_code),
        ("department_id", scope.department_code),
        ("window_id", scope.window_code),
        ("staff_id", scope.staff_code),
        ("matter_id", scope.matter_code),
    ):
        if code is not None and not await store.code_exists(conn, dimension, code):
            raise StatsError("NOT_FOUND", f"no {dimension.removesuffix('_id')} has that code")
    if viewer.role is Role.AREA_ADMIN and viewer.region_code:
        own = viewer.region_code
        if scope.region_code is not None and not await store.region_within(
            conn, scope.region_code, own
        ):
            raise _out_of_scope("region")
        if scope.department_code is not None and not await store.department_within(
            conn, scope.department_code, own
        ):
            raise _out_of_scope("department")
        return scope if scope.region_code is not None else replace(scope, region_code=own)
    if viewer.role is Role.DEPT_HANDLER and viewer.department_code:
        if scope.department_code not in (None, viewer.department_code):
            raise _out_of_scope("department")
        return replace(scope, department_code=viewer.department_code)
    if viewer.role is Role.WINDOW_STAFF and viewer.staff_code:
        if scope.staff_code not in (None, viewer.staff_code):
            raise _out_of_scope("staff member")
        return replace(scope, staff_code=viewer.staff_code)
    if viewer.role in (Role.WINDOW_STAFF, Role.DEPT_HANDLER, Role.AREA_ADMIN):
        raise StatsError("FORBIDDEN", "your sign-in names no staff member, department or region")
    raise StatsError("FORBIDDEN", "the statistics are for staff and admins")


def _out_of_scope(what: str) -> StatsError:
    return StatsError("OUT_OF_SCOPE", f"that {what} is outside what you may see")


async def statistics(
    *,
    viewer: Principal,
    engine: Engine,
    metrics: Sequence[str] | None,
    scope: StatFilter,
    period: Period,
    granularity: Granularity,
    group_by: Sequence[Dimension],
    now: datetime,
) -> StatsTable:
    chosen = chosen_metrics(engine, metrics)
    check_period(period, granularity)
    if len(set(group_by)) != len(group_by):
        raise StatsError("BAD_INPUT", "groupBy names a dimension twice")
    bound = await bounded(viewer, scope)
    rows = await figures(chosen, bound, period, granularity, group_by)
    return StatsTable(chosen, rows, await lag(now))


async def figures(
    chosen: Sequence[MetricRule],
    scope: StatFilter,
    period: Period,
    granularity: Granularity | None,
    group_by: Sequence[Dimension],
) -> tuple[StatRow, ...]:
    """The rows (no access check: the caller bounded `scope`); with no granularity, one
    row per group for the whole period."""
    counters = sorted({name for m in chosen for name, _ in (*m.numerator, *m.denominator)})
    group = [d.value for d in group_by]
    conn = connection()
    by_month = granularity is not Granularity.DAY and granularity is not Granularity.WEEK
    raw = await store.sum_counters(
        conn, scope, period.first, period.last, by_month=by_month, group=group, counters=counters
    )
    sums: dict[tuple[date, tuple[object, ...]], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(counters, 0)
    )
    for row in raw:
        start = period.first if granularity is None else period_start(row["period"], granularity)
        key = (start, tuple(row[g] for g in group))
        total = sums[key]
        for name in counters:
            total[name] += row[name]
    named = {
        g: await store.names(conn, g, [int(str(k[1][i]) or 0) for k in sums])
        for i, g in enumerate(group)
        if g != Dimension.CHANNEL
    }
    out = []
    for (start, keys), total in sums.items():
        groups = tuple(
            _group_key(Dimension(g), keys[i], named.get(g, {})) for i, g in enumerate(group)
        )
        out.append(
            StatRow(
                _label(period, start, granularity),
                start,
                groups,
                tuple(figure_of(m, total) for m in chosen),
            )
        )
    out.sort(key=lambda r: (r.period_start, tuple(k.code for k in r.group)))
    return tuple(out)


def _label(period: Period, start: date, granularity: Granularity | None) -> str:
    if granularity is None:
        return f"{period.first.isoformat()}/{period.last.isoformat()}"
    return period_label(start, granularity)


def figure_of(metric: MetricRule, total: dict[str, int]) -> Figure:
    numerator = sum(total[name] * sign for name, sign in metric.numerator)
    denominator = sum(total[name] * sign for name, sign in metric.denominator)
    return Figure(metric.code, numerator, denominator)


def _group_key(dimension: Dimension, value: object, names: dict[int, tuple[str, str]]) -> GroupKey:
    if dimension is Dimension.CHANNEL:
        return GroupKey(dimension, str(value), str(value) or "未评价")
    if not value:
        return GroupKey(dimension, "", "无" if dimension is Dimension.WINDOW else "未记录")
    code, name = names.get(int(str(value)), ("", "已删除"))
    return GroupKey(dimension, code, name)
