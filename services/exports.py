"""Exports: the ratings and the work items of a period as a CSV or XLSX file (and the
period's figures, services.stat_export), for the operator at the server (`hcp export`) and,
from the console, for those who oversee them: an area admin their region and below, a
department's handler their department.

A period is two dates in Beijing time, both included: a rating given at 23:30 on 10-31
(+08:00) is October's. The rows hold no personal data (models.stores.exports): nothing of
the applicant or the rater, whatever the caller's role. Rows are read and written a chunk
at a time (services.export_files), so an export of a year never sits in memory."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from models.db import as_utc
from models.enums import Channel
from models.stores import exports as store
from models.stores.reference import Filter, count_of
from models.stores.scope import Reach, Scope
from rules import BUSINESS_TZ, Engine
from services.export_files import Cell, Row, Table
from services.identity import Principal, Role
from services.moderation import REJECTED
from services.reference_kinds import REGION_CODE

KINDS = ("ratings", "work-items", "statistics")  # statistics: services.stat_export
_EXPORTERS = frozenset({Role.AREA_ADMIN, Role.DEPT_HANDLER})
CHUNK = 5_000
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

EXPORT_REFUSALS = {
    "BAD_DATE": "日期应写作 YYYY-MM-DD，例如 2026-10-01",
    "PERIOD_REVERSED": "开始日期不能晚于结束日期",
    "BAD_REGION": "区划编码有误",
    "UNKNOWN_REGION": "没有这个区划",
    "REGION_OUT_OF_SCOPE": "只能导出本人所辖区划的数据",
    "FORBIDDEN": "只有地区管理员和部门差评处理人员可以导出数据",
    "BAD_PERIOD": "统计期最长五年，按日统计最长一年",
    "BAD_GRANULARITY": "统计周期应为 DAY、WEEK、MONTH、QUARTER 或 YEAR",
    "BAD_GROUP_BY": "分组应为 region、department、window、staff、matter、channel，逗号分隔",
}


@dataclass(frozen=True)
class ExportRefusal:
    code: str
    message: str


def refused(code: str) -> ExportRefusal:
    return ExportRefusal(code, EXPORT_REFUSALS[code])


@dataclass(frozen=True)
class Period:
    """From `first` to `last`, both included, in Beijing time."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return _midnight(self.first)

    @property
    def end(self) -> datetime:
        """The first moment after the period."""
        return _midnight(self.last + timedelta(days=1))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BUSINESS_TZ).astimezone(UTC)


def _day(text: str) -> date | None:
    """A YYYY-MM-DD date, nothing else (fromisoformat alone also takes 20261001)."""
    if not _DAY.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:  # 2026-02-30
        return None


def period(first: str, last: str) -> Period | ExportRefusal:
    """The period of two YYYY-MM-DD dates, the first not after the last."""
    start, end = _day(first), _day(last)
    if start is None or end is None:
        return refused("BAD_DATE")
    return Period(start, end) if start <= end else refused("PERIOD_REVERSED")


def file_name(kind: str, chosen: Period, fmt: str) -> str:
    """`ratings-2026-10-01-2026-10-31.csv`"""
    return f"{kind}-{chosen.first.isoformat()}-{chosen.last.isoformat()}.{fmt}"


async def reach(viewer: Principal | None, region: str | None) -> list[Scope] | ExportRefusal:
    """Whose rows the export reads (every scope applies), narrowed to `region` and below.
    `viewer` None is the operator at the server, who reads every region. An area admin may
    name a region of their own only (another, or one that does not exist, is refused alike,
    so codes cannot be probed); a department's handler reads their department, in `region`
    when named. Other roles export nothing."""
    if viewer is not None and viewer.role not in _EXPORTERS:
        return refused("FORBIDDEN")
    if region is not None and not REGION_CODE.fullmatch(region):
        return refused("BAD_REGION")
    chosen = [Scope(Reach.REGION, region)] if region is not None else []
    if viewer is None:
        if region is not None and not await _holds(Scope(Reach.ALL), region):
            return refused("UNKNOWN_REGION")
        return chosen or [Scope(Reach.ALL)]
    if viewer.role is Role.DEPT_HANDLER:
        return [Scope(Reach.DEPARTMENT, viewer.department_code), *chosen]
    own = Scope(Reach.REGION, viewer.region_code)
    if region is not None and not await _holds(own, region):
        return refused("REGION_OUT_OF_SCOPE")
    return [own, *chosen]


async def _holds(scope: Scope, region: str) -> bool:
    """Whether the region `region` exists within `scope`."""
    return await count_of("region", scope, Filter(code=region)) > 0


@dataclass(frozen=True)
class Column:
    key: str  # stable, for code and tests
    header: str  # what the file's first row says


RATING_COLUMNS = (
    Column("case_no", "办件编号"),
    Column("matter_code", "事项编码"),
    Column("matter_name", "事项名称"),
    Column("department_code", "部门编码"),
    Column("department_name", "部门名称"),
    Column("region_code", "区划编码"),
    Column("window_code", "窗口编码"),
    Column("window_name", "窗口名称"),
    Column("hall_name", "大厅"),
    Column("staff_code", "工作人员编码"),
    Column("staff_name", "工作人员姓名"),
    Column("channel", "评价渠道"),
    Column("level", "评价等级"),
    Column("level_label", "等级名称"),
    Column("category", "评价类别"),
    Column("tags", "评价标签"),
    Column("comment", "评价内容"),
    Column("rated_at", "评价时间"),
    Column("effective", "是否为办件的有效评价"),
    Column("default", "是否默认评价"),
    Column("appeal_upheld", "申诉成立后的处理"),
)
WORK_ITEM_COLUMNS = (
    Column("item_id", "工单编号"),
    Column("case_no", "办件编号"),
    Column("matter_code", "事项编码"),
    Column("matter_name", "事项名称"),
    Column("department_code", "部门编码"),
    Column("department_name", "部门名称"),
    Column("region_code", "区划编码"),
    Column("window_code", "窗口编码"),
    Column("window_name", "窗口名称"),
    Column("staff_code", "被评价工作人员编码"),
    Column("staff_name", "被评价工作人员姓名"),
    Column("status", "状态"),
    Column("step", "当前环节"),
    Column("opened_at", "生成时间"),
    Column("due_at", "办理期限"),
    Column("overdue", "是否超期"),
    Column("escalated", "是否督办"),
    Column("closed_at", "办结时间"),
    Column("close_reason", "办结原因"),
    Column("events", "处理记录条数"),
)
_PLACE = ("case_no", "matter_code", "matter_name", "department_code", "department_name")
_SITE = ("region_code", "window_code", "window_name", "staff_code", "staff_name")


def _yes(value: Any) -> str:
    return "是" if value else "否"


def _beijing(value: Any) -> str | None:
    moment = as_utc(value)
    return moment.astimezone(BUSINESS_TZ).isoformat(timespec="seconds") if moment else None


def _rating(row: dict[str, Any], engine: Engine) -> dict[str, Cell]:
    level = engine.level(int(row["level"])).value
    labels = {tag.code: tag.label for tag in level.tags} if level else {}
    return {
        **{key: row[key] for key in (*_PLACE, *_SITE, "hall_name", "channel", "category")},
        "level": int(row["level"]),
        "level_label": level.label if level else str(row["level"]),
        "tags": "、".join(labels.get(code, code) for code in json.loads(row["tags"] or "[]")),
        "comment": row["comment"],
        "rated_at": _beijing(row["rated_at"]),
        "effective": _yes(row["effective"]),
        "default": _yes(row["channel"] == Channel.DEFAULT.value),
        "appeal_upheld": row["appeal_upheld"],
    }


def _work_item(row: dict[str, Any], _engine: Engine) -> dict[str, Cell]:
    return {
        **{key: row[key] for key in (*_PLACE, *_SITE, "status", "step", "close_reason")},
        "item_id": int(row["id"]),
        "opened_at": _beijing(row["opened_at"]),
        "due_at": _beijing(row["due_at"]),
        "overdue": _yes(row["overdue"]),
        "escalated": _yes(row["escalated"]),
        "closed_at": _beijing(row["closed_at"]),
        "events": int(row["events"]),
    }


Page = Callable[[Sequence[Scope], Period, int, int], Awaitable[list[dict[str, Any]]]]


async def _rating_page(
    scopes: Sequence[Scope], chosen: Period, after: int, limit: int
) -> list[dict[str, Any]]:
    return await store.rating_rows(
        scopes, chosen.start, chosen.end, after, limit, unpublished=REJECTED
    )


async def _work_item_page(
    scopes: Sequence[Scope], chosen: Period, after: int, limit: int
) -> list[dict[str, Any]]:
    return await store.work_item_rows(scopes, chosen.start, chosen.end, after, limit)


@dataclass(frozen=True)
class Kind:
    columns: tuple[Column, ...]
    page: Page
    cells: Callable[[dict[str, Any], Engine], dict[str, Cell]]


_KINDS = {
    "ratings": Kind(RATING_COLUMNS, _rating_page, _rating),
    "work-items": Kind(WORK_ITEM_COLUMNS, _work_item_page, _work_item),
}


def export_table(
    kind: str, *, scopes: Sequence[Scope], chosen: Period, engine: Engine, chunk: int = CHUNK
) -> Table:
    """The export of `kind` (ratings or work-items): its headers and its rows, read as
    written."""
    spec = _KINDS[kind]
    return Table([c.header for c in spec.columns], _chunks(spec, scopes, chosen, engine, chunk))


async def _chunks(
    spec: Kind, scopes: Sequence[Scope], chosen: Period, engine: Engine, chunk: int
) -> AsyncIterator[list[Row]]:
    after = 0
    while True:
        rows = await spec.page(scopes, chosen, after, chunk)
        if not rows:
            return
        cells = [spec.cells(row, engine) for row in rows]
        yield [[values[c.key] for c in spec.columns] for values in cells]
        if len(rows) < chunk:
            return
        after = int(rows[-1]["id"])
