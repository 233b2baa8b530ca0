"""Rankings of departments, windows, staff or matters by one metric, and the bad-rating
funnel (bad rating → called back → rectified → good follow-up), for the dashboard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.db import connection
from models.stores import stat_reads as store
from models.stores.stat_reads import StatFilter
from rules import Engine, MetricRule
from services.identity import Principal
from services.statistics import (
    Dimension,
    Figure,
    GroupKey,
    Period,
    StatsError,
    bounded,
    check_period,
    chosen_metrics,
    figures,
)
from services.stats_refresh import lag

# The funnel's stages in order, then what else the dashboard shows of the loop.
FUNNEL = (
    ("w_any", "差评"),
    ("w_called_back", "已回访"),
    ("w_rectified", "已整改"),
    ("w_follow_up_good", "追评满意"),
)
LOOP_STATE = (
    ("w_appealed", "已申诉"),
    ("w_appeal_upheld", "申诉成立"),
    ("w_open", "未办结"),
    ("w_overdue", "曾逾期"),
    ("w_closed", "已办结"),
)
MAX_MIN_SAMPLE = 1_000_000


@dataclass(frozen=True)
class RankEntry:
    rank: int
    group: GroupKey
    figure: Figure


@dataclass(frozen=True)
class Ranking:
    metric: MetricRule
    entries: tuple[RankEntry, ...]
    lag: timedelta


@dataclass(frozen=True)
class Stage:
    key: str
    title: str
    count: int


@dataclass(frozen=True)
class Funnel:
    stages: tuple[Stage, ...]
    others: tuple[Stage, ...]
    lag: timedelta


async def ranking(
    *,
    viewer: Principal,
    engine: Engine,
    metric: str,
    by: Dimension,
    period: Period,
    min_sample: int,
    scope: StatFilter,
    now: datetime,
) -> Ranking:
    """Groups by `by` with at least `min_sample` in the metric's denominator, best first
    (the metric says whether higher or lower is better); equal figures share a rank."""
    (chosen,) = chosen_metrics(engine, [metric])
    check_period(period, None)
    if not 1 <= min_sample <= MAX_MIN_SAMPLE:
        raise StatsError("BAD_INPUT", "minSample is 1 to 1,000,000")
    bound = await bounded(viewer, scope)
    rows = await figures([chosen], bound, period, None, [by])
    ranked = sorted(
        (r for r in rows if r.figures[0].denominator >= min_sample),
        key=lambda r: _order(r.figures[0], chosen.better, r.group[0].code),
    )
    entries: list[RankEntry] = []
    for index, row in enumerate(ranked):
        figure = row.figures[0]
        same = entries and entries[-1].figure.value == figure.value
        entries.append(RankEntry(entries[-1].rank if same else index + 1, row.group[0], figure))
    return Ranking(chosen, tuple(entries), await lag(now))


def _order(figure: Figure, better: str, code: str) -> tuple[float, int, str]:
    value = figure.value or 0.0
    return (-value if better == "higher" else value, -figure.denominator, code)


async def funnel(*, viewer: Principal, scope: StatFilter, period: Period, now: datetime) -> Funnel:
    check_period(period, None)
    bound = await bounded(viewer, scope)
    names = [name for name, _ in (*FUNNEL, *LOOP_STATE)]
    rows = await store.sum_counters(
        connection(), bound, period.first, period.last, by_month=True, group=[], counters=names
    )
    totals = {name: sum(row[name] for row in rows) for name in names}
    return Funnel(_stages(FUNNEL, totals), _stages(LOOP_STATE, totals), await lag(now))


def _stages(which: Sequence[tuple[str, str]], totals: dict[str, int]) -> tuple[Stage, ...]:
    return tuple(Stage(key.removeprefix("w_"), title, totals[key]) for key, title in which)
