"""`metrics`, `statistics`, `ranking` and `statisticsFunnel`: the policy's figures for staff
and admins, each with its numerator and denominator, scoped by role (services.statistics)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import strawberry
from strawberry.types import Info

from models.stores.stat_reads import StatFilter
from rules import MetricRule
from schema.core.context import Context
from schema.core.errors import ApiError
from schema.core.text import refuse_nul
from schema.core.types import business_time
from services import stat_ranking, statistics
from services.identity import Role
from services.statistics import Dimension, Granularity, Period, StatsError

STAFF = (Role.WINDOW_STAFF, Role.DEPT_HANDLER, Role.AREA_ADMIN)
GranularityEnum = strawberry.enum(Granularity, name="Granularity")
DimensionEnum = strawberry.enum(Dimension, name="Dimension")


class StatisticsRefused(ApiError):
    """UNKNOWN_METRIC, BAD_PERIOD, BAD_INPUT, NOT_FOUND, OUT_OF_SCOPE or FORBIDDEN."""

    def __init__(self, refused: StatsError) -> None:
        super().__init__(refused.message)
        self.code = refused.code


@strawberry.input(description="Each given part narrows; codes as in the reference data")
class StatScope:
    region_code: str | None = strawberry.field(default=None, description="and its sub-regions")
    department_code: str | None = None
    window_code: str | None = None
    staff_code: str | None = None
    matter_code: str | None = None
    channel: str | None = strawberry.field(
        default=None, description="PAD, QR, …, DEFAULT (default ratings); '' the unrated"
    )


@strawberry.input(description="Days completed, from and to inclusive, in Beijing time")
class StatPeriod:
    from_: date = strawberry.field(name="from")
    to: date


@strawberry.type(description="A figure the policy defines (rules.yaml `metrics`)")
class MetricInfo:
    code: str
    title: str
    description: str
    better: str = strawberry.field(description="higher or lower")
    rule_id: str


@strawberry.type
class Figure:
    metric: str
    numerator: int
    denominator: int
    value: float | None = strawberry.field(description="numerator / denominator; null for 0/0")


@strawberry.type
class GroupKey:
    dimension: DimensionEnum  # type: ignore[valid-type]
    code: str = strawberry.field(description="'' when the cases had none (no window, unrated)")
    name: str


@strawberry.type
class StatRow:
    period: str = strawberry.field(description="2026-10-01, 2026-W40, 2026-10, 2026-Q4, 2026")
    period_start: date
    group: list[GroupKey]
    figures: list[Figure]


@strawberry.type
class Statistics:
    metrics: list[MetricInfo]
    rows: list[StatRow]
    as_of: datetime = strawberry.field(description="the figures count every change until then")
    lag_seconds: float


@strawberry.type
class RankEntry:
    rank: int
    group: GroupKey
    figure: Figure


@strawberry.type
class Ranking:
    metric: MetricInfo
    entries: list[RankEntry]
    as_of: datetime
    lag_seconds: float


@strawberry.type
class FunnelStage:
    key: str
    title: str
    count: int


@strawberry.type(description="Bad ratings' work items by how far they got")
class StatisticsFunnel:
    stages: list[FunnelStage]
    others: list[FunnelStage]
    as_of: datetime
    lag_seconds: float


def _metric(m: MetricRule) -> MetricInfo:
    return MetricInfo(
        code=m.code, title=m.title, description=m.description, better=m.better, rule_id=m.rule_id
    )


def _figure(f: statistics.Figure) -> Figure:
    return Figure(metric=f.metric, numerator=f.numerator, denominator=f.denominator, value=f.value)


def _group(g: statistics.GroupKey) -> GroupKey:
    return GroupKey(dimension=g.dimension, code=g.code, name=g.name)


def _filter(scope: StatScope | None) -> StatFilter:
    if scope is None:
        return StatFilter()
    parts = (scope.region_code, scope.department_code, scope.window_code, scope.staff_code)
    for part in (*parts, scope.matter_code, scope.channel):
        if part is not None:
            refuse_nul(part)
    return StatFilter(*parts, scope.matter_code, scope.channel)


def _as_of(now: datetime, lag: timedelta) -> datetime:
    return business_time(now - lag)


def metrics(info: Info[Context, None]) -> list[MetricInfo]:
    info.context.require(*STAFF, Role.POLICY_STAFF)
    return [_metric(m) for m in info.context.collaborators.engine.metrics().metrics]


async def statistics_query(
    info: Info[Context, None],
    period: StatPeriod,
    metrics: list[str] | None = None,
    scope: StatScope | None = None,
    granularity: GranularityEnum = Granularity.MONTH,  # type: ignore[valid-type]
    group_by: list[DimensionEnum] | None = None,  # type: ignore[valid-type]
) -> Statistics:
    viewer = info.context.require(*STAFF)
    now = info.context.now()
    try:
        table = await statistics.statistics(
            viewer=viewer,
            engine=info.context.collaborators.engine,
            metrics=metrics,
            scope=_filter(scope),
            period=Period(period.from_, period.to),
            granularity=granularity,
            group_by=group_by or [],
            now=now,
        )
    except StatsError as refused:
        raise StatisticsRefused(refused) from None
    return Statistics(
        metrics=[_metric(m) for m in table.metrics],
        rows=[
            StatRow(
                period=r.period,
                period_start=r.period_start,
                group=[_group(g) for g in r.group],
                figures=[_figure(f) for f in r.figures],
            )
            for r in table.rows
        ],
        as_of=_as_of(now, table.lag),
        lag_seconds=table.lag.total_seconds(),
    )


async def ranking(
    info: Info[Context, None],
    metric: str,
    by: DimensionEnum,  # type: ignore[valid-type]
    period: StatPeriod,
    min_sample: int = 1,
    scope: StatScope | None = None,
) -> Ranking:
    viewer = info.context.require(*STAFF)
    now = info.context.now()
    try:
        found = await stat_ranking.ranking(
            viewer=viewer,
            engine=info.context.collaborators.engine,
            metric=metric,
            by=by,
            period=Period(period.from_, period.to),
            min_sample=min_sample,
            scope=_filter(scope),
            now=now,
        )
    except StatsError as refused:
        raise StatisticsRefused(refused) from None
    return Ranking(
        metric=_metric(found.metric),
        entries=[
            RankEntry(rank=e.rank, group=_group(e.group), figure=_figure(e.figure))
            for e in found.entries
        ],
        as_of=_as_of(now, found.lag),
        lag_seconds=found.lag.total_seconds(),
    )


async def statistics_funnel(
    info: Info[Context, None], period: StatPeriod, scope: StatScope | None = None
) -> StatisticsFunnel:
    viewer = info.context.require(*STAFF)
    now = info.context.now()
    try:
        found = await stat_ranking.funnel(
            viewer=viewer, scope=_filter(scope), period=Period(period.from_, period.to), now=now
        )
    except StatsError as refused:
        raise StatisticsRefused(refused) from None
    return StatisticsFunnel(
        stages=[FunnelStage(key=s.key, title=s.title, count=s.count) for s in found.stages],
        others=[FunnelStage(key=s.key, title=s.title, count=s.count) for s in found.others],
        as_of=_as_of(now, found.lag),
        lag_seconds=found.lag.total_seconds(),
    )
