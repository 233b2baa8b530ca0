"""Reading ratings: a case's history (oldest first) and the form a rater is shown."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.db import as_utc, connection, fetch
from rules import Engine


@dataclass(frozen=True)
class RatingView:
    id: int
    case_id: int
    level: int
    category: str
    tags: list[str]
    comment: str | None
    channel: str
    rated_at: datetime
    effective: bool
    target: str
    rules_version: str
    fired_rules: list[str]


async def ratings_of(case_ids: Sequence[int]) -> dict[int, list[RatingView]]:
    """Every case's ratings, oldest first, in one query."""
    found: dict[int, list[RatingView]] = {case_id: [] for case_id in case_ids}
    if not case_ids:
        return found
    marks = ", ".join("?" * len(case_ids))
    rows = await fetch(
        connection(),
        "SELECT id, case_id, level, category, tags, comment, channel, rated_at, effective, "  # noqa: S608
        f"target, rules_version, fired_rules FROM rating WHERE case_id IN ({marks}) "
        "ORDER BY rated_at, id",
        list(case_ids),
    )
    for row in rows:
        found[int(row["case_id"])].append(_view(row))
    return found


def _view(row: dict[str, Any]) -> RatingView:
    rated_at = as_utc(row["rated_at"])
    assert rated_at is not None
    return RatingView(
        id=int(row["id"]),
        case_id=int(row["case_id"]),
        level=int(row["level"]),
        category=row["category"],
        tags=json.loads(row["tags"]),
        comment=row["comment"],
        channel=row["channel"],
        rated_at=rated_at,
        effective=bool(row["effective"]),
        target=row["target"],
        rules_version=row["rules_version"],
        fired_rules=json.loads(row["fired_rules"]),
    )


def rating_deadline(engine: Engine, completed_at: datetime | None) -> datetime | None:
    """The end of the late-rating window, or None (not completed, or no window)."""
    if completed_at is None:
        return None
    deadline = engine.evaluate("case_deadlines", {"completed_at": completed_at}).outcome.get(
        "rating_deadline"
    )
    return deadline if isinstance(deadline, datetime) else None


@dataclass(frozen=True)
class FormLevel:
    level: int
    label: str
    category: str
    reason_required: bool
    tags: list[dict[str, str]]


def form_levels(engine: Engine, channel: str) -> list[FormLevel]:
    """The five levels as this channel shows them, best first: labels, categories, which
    need a reason and which reason tags are offered, all from the active policy."""
    levels = engine.evaluate("form", {"channel": channel}).outcome.get("levels", [])
    return sorted(
        (
            FormLevel(lv["level"], lv["label"], lv["category"], lv["reason_required"], lv["tags"])
            for lv in levels
        ),
        key=lambda lv: -lv.level,
    )
