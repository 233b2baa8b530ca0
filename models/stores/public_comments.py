"""What the public page (/public/) reads besides the statistics: the comments of a month
that may be published, and the name of the region it is narrowed to.

A comment is published when its rating is its case's effective rating, is not waiting for
review (a burst hold or a listed word), was not rejected on review, and no upheld appeal
took it out (mistaken, malicious: any `appeal_upheld`). A burst-held rating approved later
is published once it is the case's rating; a comment held for a listed word once approved.

Nothing about who rated or who served is selected: no applicant, rater key, staff member
or case number, only where (department, window), what (matter) and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.db import connection, fetch
from models.enums import RatingStatus
from models.stores.cases import scope_condition
from models.stores.scope import Reach, Scope

REJECTED = "REJECTED"
# The case's own rating status narrows the month's cases through the (rating_status,
# completed_at) index: a person's effective rating leaves its case RATED, and a default
# rating (DEFAULTED) carries no comment.
_PUBLISHED = (
    "SELECT r.id, r.rated_at, r.level, r.comment, d.name AS department_name, "
    "sw.name AS window_name, m.name AS matter_name "
    "FROM case_record c JOIN rating r ON r.id = c.effective_rating_id "
    "JOIN department d ON d.id = c.department_id JOIN matter m ON m.id = c.matter_id "
    "LEFT JOIN service_window sw ON sw.id = c.window_id "
    "WHERE c.rating_status = ? AND c.completed_at >= ? AND c.completed_at < ? "
    "AND r.comment IS NOT NULL AND r.comment <> '' AND NOT r.held_for_review "
    "AND (r.moderation IS NULL OR r.moderation <> ?) AND r.appeal_upheld IS NULL"
)


async def published_comments(
    start: datetime,
    end: datetime,
    region_code: str | None,
    before: tuple[datetime, int] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """The published comments of the cases completed in [start, end) (of the region and
    its sub-regions when given), newest rating first, after the keyset `before`
    (rated_at, rating id)."""
    scope = Scope(Reach.REGION, region_code) if region_code else Scope(Reach.ALL)
    condition, args = scope_condition(scope)
    sql = f"{_PUBLISHED} AND {condition}"
    values: list[Any] = [RatingStatus.RATED.value, start, end, REJECTED, *args]
    if before is not None:
        rated_at, rating_id = before
        sql += " AND (r.rated_at < ? OR (r.rated_at = ? AND r.id < ?))"
        values += [rated_at, rated_at, rating_id]
    return await fetch(
        connection(), f"{sql} ORDER BY r.rated_at DESC, r.id DESC LIMIT ?", [*values, limit]
    )


async def region_name(code: str) -> str | None:
    """The name of the region with this code (None: no such region)."""
    rows = await fetch(connection(), "SELECT name FROM region WHERE code = ?", [code])
    return str(rows[0]["name"]) if rows else None
