"""Reading ratings: a case's history (oldest first) and the form a rater is shown."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.db import as_utc
from models.enums import RatingStatus
from models.stores import ratings as store
from rules import Engine, LevelView, Prior


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
    for row in await store.ratings_of(case_ids):
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
    return engine.case_deadlines(completed_at).value.rating_deadline


def prior(
    engine: Engine,
    status: RatingStatus,
    completed_at: datetime | None,
    now: datetime,
    *,
    own: bool = False,
) -> Prior:
    """What the case already has: the one answer to "has this case a rating that counts"
    for the form and for a rating. A default rating that has fallen due counts as given
    even before the sweep has written it: the policy's days do not stretch to the sweep.
    `own`: the effective rating is the applicant's own and an entry on their behalf asks."""
    if status is RatingStatus.RATED:
        return Prior.OWN_RATING if own else Prior.RATING
    if status is RatingStatus.DEFAULTED:
        return Prior.DEFAULT
    if status is RatingStatus.UNRATED and completed_at is not None:
        default_at = engine.case_deadlines(completed_at).value.default_at
        if default_at is not None and default_at <= now:
            return Prior.DEFAULT
    return Prior.NONE


def form_levels(engine: Engine, channel: str) -> list[LevelView]:
    """The five levels as this channel shows them, best first: labels, categories, which
    need a reason and which reason tags are offered, all from the active policy."""
    return sorted(engine.form(channel).value.levels, key=lambda lv: -lv.level)
