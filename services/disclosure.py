"""The public disclosure (评价结果公开, /public/, no login): what the policy's `disclosure`
publishes for a month: its metrics per department and per window, and, when it says so,
the comments that passed moderation, as JSON answers kept in a TtlCache.

A figure whose denominator is under the policy's `min_sample` is published as withheld,
without its numbers, so that a small sample cannot point at a person. A policy without
`disclosure` publishes nothing. A month's cases are those completed in it (Beijing time),
as in the statistics; the months offered are the current one and the twelve before it.
Long runs of digits in a comment (a phone or ID number a rater typed) are blanked."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.db import as_utc
from models.stores import public_comments as store
from models.stores.stat_reads import StatFilter
from rules import BUSINESS_TZ, DisclosureRule, Engine, MetricRule
from services.paging import BadCursorError, decode_cursor, encode_cursor, moment, row_id
from services.public_cache import TtlCache
from services.public_months import Month, months_offered, parse_month
from services.reference_kinds import REGION_CODE
from services.statistics import Dimension, Figure, Granularity, StatRow, figures

PAGE = 20  # comments per page
_CURSOR = "public-comments"
_MAX_CURSOR = 200
_DIGITS = re.compile(r"\d(?:[\s-]?\d){6,}[Xx]?")
REFUSALS = {
    "BAD_MONTH": "月份应写作 YYYY-MM，例如 2026-10",
    "MONTH_NOT_OFFERED": "只公开本月和此前 12 个月的评价结果",
    "BAD_REGION": "区划编码有误",
    "UNKNOWN_REGION": "没有这个区划",
    "BAD_CURSOR": "翻页参数有误，请从第一页重新查看",
}


@dataclass(frozen=True)
class Answer:
    """A computed answer: its JSON bytes, their strong ETag, when it was computed."""

    body: bytes
    etag: str
    computed_at: datetime


@dataclass(frozen=True)
class PublicRefusal:
    code: str
    message: str


Published = Answer | PublicRefusal
PublicCache = TtlCache[Published]


def _refusal(code: str) -> PublicRefusal:
    return PublicRefusal(code, REFUSALS[code])


def chosen_month(text: str | None, now: datetime) -> Month | PublicRefusal:
    """The month asked for; without one, the last complete month."""
    offered = months_offered(now)
    if not text:
        return offered[1]
    month = parse_month(text)
    if month is None:
        return _refusal("BAD_MONTH")
    return month if month in offered else _refusal("MONTH_NOT_OFFERED")


def _asked(
    month: str | None, region: str | None, now: datetime
) -> tuple[Month, str | None] | PublicRefusal:
    """The month and the region (a code's form checked here, its existence in _head)."""
    chosen = chosen_month(month, now)
    if isinstance(chosen, PublicRefusal):
        return chosen
    if region and not REGION_CODE.fullmatch(region):
        return _refusal("BAD_REGION")
    return chosen, region or None


def _answer(content: dict[str, Any], at: datetime) -> Answer:
    body = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
    return Answer(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"', at)


async def _head(month: Month, region: str | None, at: datetime) -> dict[str, Any] | None:
    """What every answer starts with; None when the region does not exist."""
    named = None
    if region is not None:
        name = await store.region_name(region)
        if name is None:
            return None
        named = {"code": region, "name": name}
    computed = at.astimezone(BUSINESS_TZ).isoformat(timespec="seconds")
    return {"month": month.label, "region": named, "computedAt": computed}


async def public_figures(
    *, month: str | None, region: str | None, engine: Engine, cache: PublicCache, now: datetime
) -> Published:
    """The disclosed metrics of a month per department and per window."""
    asked = _asked(month, region, now)
    if isinstance(asked, PublicRefusal):
        return asked
    chosen, code = asked
    offered = months_offered(now)
    key = ("figures", chosen.label, code, engine.version, offered[0].label)

    async def compute(at: datetime) -> Published:
        return await _figures(engine, chosen, code, offered, at)

    return await cache.get(key, now, compute)


async def _figures(
    engine: Engine, month: Month, region: str | None, offered: list[Month], at: datetime
) -> Published:
    head = await _head(month, region, at)
    if head is None:
        return _refusal("UNKNOWN_REGION")
    head["months"] = [m.label for m in offered]
    book = engine.metrics()
    rule = book.disclosure
    if rule is None:
        return _answer({**head, "published": False}, at)
    chosen = tuple(m for m in (book.get(code) for code in rule.metrics) if m is not None)
    scope, period = StatFilter(region_code=region), month.period
    by_department = await figures(chosen, scope, period, Granularity.MONTH, [Dimension.DEPARTMENT])
    by_window = await figures(
        chosen, scope, period, Granularity.MONTH, [Dimension.DEPARTMENT, Dimension.WINDOW]
    )
    content = {
        **head,
        "published": True,
        "policy": _policy(rule),
        "metrics": [_metric(m) for m in chosen],
        "departments": [_group(row, rule, 0) for row in by_department],
        "windows": [_window(row, rule) for row in by_window if row.group[1].code],
    }
    return _answer(content, at)


def _policy(rule: DisclosureRule) -> dict[str, Any]:
    return {
        "ruleId": rule.rule_id,
        "title": rule.title,
        "description": rule.description,
        "comments": rule.comments,
        "minSample": rule.min_sample,
    }


def _metric(metric: MetricRule) -> dict[str, Any]:
    return {
        "code": metric.code,
        "title": metric.title,
        "description": metric.description,
        "better": metric.better,
    }


def _group(row: StatRow, rule: DisclosureRule, index: int) -> dict[str, Any]:
    key = row.group[index]
    return {
        "code": key.code,
        "name": key.name,
        "figures": [_figure(f, rule.min_sample) for f in row.figures],
    }


def _window(row: StatRow, rule: DisclosureRule) -> dict[str, Any]:
    department = row.group[0]
    return {
        **_group(row, rule, 1),
        "department": {"code": department.code, "name": department.name},
    }


def _figure(figure: Figure, min_sample: int) -> dict[str, Any]:
    """Withheld, with no numbers, when its denominator is under the policy's sample."""
    if figure.denominator < min_sample or figure.value is None:
        return {"metric": figure.metric, "withheld": True}
    return {
        "metric": figure.metric,
        "numerator": figure.numerator,
        "denominator": figure.denominator,
        "value": round(figure.value, 4),
    }


def _before(after: str, month: Month) -> tuple[datetime, int] | PublicRefusal:
    """The keyset of a cursor this page issued for this month."""
    if len(after) > _MAX_CURSOR:
        return _refusal("BAD_CURSOR")
    try:
        label, rated_at, rating_id = decode_cursor(after, _CURSOR, str, moment, row_id)
    except BadCursorError:
        return _refusal("BAD_CURSOR")
    return (rated_at, rating_id) if label == month.label else _refusal("BAD_CURSOR")


async def public_comments(
    *,
    month: str | None,
    region: str | None,
    after: str | None,
    engine: Engine,
    cache: PublicCache,
    now: datetime,
) -> Published:
    """A page of the month's published comments, newest first (PAGE to a page)."""
    asked = _asked(month, region, now)
    if isinstance(asked, PublicRefusal):
        return asked
    chosen, code = asked
    before = _before(after, chosen) if after else None
    if isinstance(before, PublicRefusal):
        return before
    offered = months_offered(now)[0].label
    key = ("comments", chosen.label, code, after or "", engine.version, offered)

    async def compute(at: datetime) -> Published:
        return await _comments(engine, chosen, code, before, at)

    return await cache.get(key, now, compute)


async def _comments(
    engine: Engine,
    month: Month,
    region: str | None,
    before: tuple[datetime, int] | None,
    at: datetime,
) -> Published:
    head = await _head(month, region, at)
    if head is None:
        return _refusal("UNKNOWN_REGION")
    rule = engine.metrics().disclosure
    if rule is None or not rule.comments:
        return _answer({**head, "published": False, "comments": [], "nextCursor": None}, at)
    start, end = month.instants()
    rows = await store.published_comments(start, end, region, before, PAGE + 1)
    page = rows[:PAGE]
    cursor = _cursor(month, page) if len(rows) > PAGE else None
    comments = [_comment(row, engine) for row in page]
    return _answer({**head, "published": True, "comments": comments, "nextCursor": cursor}, at)


def _cursor(month: Month, page: Sequence[dict[str, Any]]) -> str:
    last = page[-1]
    return encode_cursor(_CURSOR, month.label, as_utc(last["rated_at"]), int(last["id"]))


def _comment(row: dict[str, Any], engine: Engine) -> dict[str, Any]:
    rated_at = as_utc(row["rated_at"])
    assert rated_at is not None  # NOT NULL column
    level = int(row["level"])
    meaning = engine.level(level).value
    return {
        "date": rated_at.astimezone(BUSINESS_TZ).date().isoformat(),
        "department": row["department_name"],
        "window": row["window_name"],
        "matter": row["matter_name"],
        "level": level,
        "levelLabel": meaning.label if meaning else str(level),
        "comment": _DIGITS.sub(lambda found: "*" * len(found[0]), str(row["comment"])),
    }
