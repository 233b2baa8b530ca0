"""The statistics export (`hcp export statistics`, GET /console/export/statistics.{csv|xlsx}):
the policy's figures (services.statistics) of a period, one row per period and group, with
each metric's numerator, denominator and value, as the dashboard shows them.

Who may export, and which region, is the exports' rule (services.exports.reach), which the
caller applies first as for every export; the figures are then narrowed as the statistics
query narrows them (services.statistics.bounded): an area admin their region (or the one
named) and below, a department's handler their department. A case counts in the period of
the day it was completed, as in every figure. The rows name departments, windows and staff,
never an applicant or a rater."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from models.stores.stat_reads import StatFilter
from rules import Engine, MetricRule
from services import statistics
from services.export_files import Cell, Row, Table
from services.exports import CHUNK, ExportRefusal, Period, refused
from services.identity import Principal
from services.statistics import Dimension, Granularity, StatRow, StatsError

GROUP_TITLES = {
    Dimension.REGION: "区划",
    Dimension.DEPARTMENT: "部门",
    Dimension.WINDOW: "窗口",
    Dimension.STAFF: "工作人员",
    Dimension.MATTER: "事项",
    Dimension.CHANNEL: "评价渠道",
}
VALUE_DIGITS = 4  # 0.7143: a hundredth of a percent


@dataclass(frozen=True)
class Layout:
    """How the figures are cut: by `granularity`, then by each of `group_by` in order."""

    granularity: Granularity
    group_by: tuple[Dimension, ...]


def layout(granularity: str | None, group_by: str | None) -> Layout | ExportRefusal:
    """From the request's words: a granularity (MONTH when none) and a comma-separated list
    of dimensions (`department,window`), either in any case; no list, no grouping."""
    try:
        chosen = Granularity[(granularity or "MONTH").strip().upper()]
    except KeyError:
        return refused("BAD_GRANULARITY")
    names = [name.strip().upper() for name in (group_by or "").split(",") if name.strip()]
    if len(set(names)) != len(names) or not all(name in Dimension.__members__ for name in names):
        return refused("BAD_GROUP_BY")
    return Layout(chosen, tuple(Dimension[name] for name in names))


async def statistics_export(
    viewer: Principal | None,
    *,
    engine: Engine,
    chosen: Period,
    region: str | None,
    granularity: str | None,
    group_by: str | None,
) -> Table | ExportRefusal:
    """The figures' table, once `reach` has allowed `viewer` (None: the operator at the
    server, every region) and `region`."""
    cut = layout(granularity, group_by)
    if isinstance(cut, ExportRefusal):
        return cut
    period = statistics.Period(chosen.first, chosen.last)
    try:
        statistics.check_period(period, cut.granularity)
        scope = StatFilter(region_code=region)
        if viewer is not None:
            scope = await statistics.bounded(viewer, scope)
    except StatsError as refusal:
        return _refusal(refusal)
    metrics = engine.metrics().metrics
    return Table(_headers(metrics, cut), _chunks(metrics, scope, period, cut))


def _refusal(refusal: StatsError) -> ExportRefusal:
    if refusal.code in ("BAD_PERIOD", "FORBIDDEN"):
        return refused(refusal.code)
    # A region not theirs or not there, alike: codes cannot be probed.
    return refused("REGION_OUT_OF_SCOPE")


def _headers(metrics: Sequence[MetricRule], cut: Layout) -> list[str]:
    groups = [f"{GROUP_TITLES[d]}{part}" for d in cut.group_by for part in ("编码", "名称")]
    figures = [f"{m.title}{part}" for m in metrics for part in ("（分子）", "（分母）", "")]
    return ["统计期", *groups, *figures]


async def _chunks(
    metrics: Sequence[MetricRule], scope: StatFilter, period: statistics.Period, cut: Layout
) -> AsyncIterator[list[Row]]:
    rows = await statistics.figures(metrics, scope, period, cut.granularity, cut.group_by)
    for start in range(0, len(rows), CHUNK):
        yield [_cells(row) for row in rows[start : start + CHUNK]]


def _cells(row: StatRow) -> list[Cell]:
    cells: list[Cell] = [row.period]
    for key in row.group:
        cells += [key.code, key.name]
    for figure in row.figures:
        value = None if figure.value is None else round(figure.value, VALUE_DIGITS)
        cells += [figure.numerator, figure.denominator, value]
    return cells
