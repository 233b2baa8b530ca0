"""Ratings held for an admin's review: by the burst rule (stored, not counted until
approved) or because their comment has one of the policy's listed words (not published
until approved). A review is one UPDATE guarded by the hold, so it happens once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from models.db import connection, execute, fetch
from models.enums import RatingStatus
from models.stores.cases import scope_condition
from models.stores.scope import Scope

_HELD = (
    "SELECT r.id, r.case_id, r.act_id, r.level, r.category, r.comment, r.channel, r.rated_at, "
    "r.effective, c.case_no, d.code AS department_code FROM rating r "
    "JOIN case_record c ON c.id = r.case_id JOIN department d ON d.id = c.department_id"
)


async def held_page(scope: Scope, after_id: int, limit: int) -> list[dict[str, Any]]:
    """Held ratings of the cases in `scope`, oldest first, after rating `after_id`."""
    condition, args = scope_condition(scope)
    return await fetch(
        connection(),
        f"{_HELD} WHERE r.held_for_review AND r.id > ? AND {condition} ORDER BY r.id LIMIT ?",
        [after_id, *args, limit],
    )


async def held_one(conn: BaseDBAsyncClient, rating_id: int, scope: Scope) -> dict[str, Any] | None:
    condition, args = scope_condition(scope)
    rows = await fetch(
        conn,
        f"{_HELD} WHERE r.held_for_review AND r.id = ? AND {condition}",
        [rating_id, *args],
    )
    return rows[0] if rows else None


async def release(
    conn: BaseDBAsyncClient, rating_id: int, decision: str, by: str, at: datetime
) -> bool:
    """The hold lifted with `decision`; False when someone reviewed it first."""
    rows = await fetch(
        conn,
        "UPDATE rating SET held_for_review = FALSE, moderation = ?, moderated_by = ?, "
        "moderated_at = ? WHERE id = ? AND held_for_review RETURNING id",
        [decision, by[:100], at, rating_id],
    )
    return bool(rows)


async def promote(conn: BaseDBAsyncClient, rating_id: int, case_id: int) -> bool:
    """The approved rating becomes its case's rating, unless a later one already is (the
    latest wins) or the case is past rating (defaulted or expired)."""
    rows = await fetch(
        conn,
        "UPDATE case_record SET effective_rating_id = ?, rating_status = ? WHERE id = ? "
        "AND rating_status IN (?, ?) AND (effective_rating_id IS NULL OR "
        "(SELECT e.rated_at FROM rating e WHERE e.id = case_record.effective_rating_id) "
        "< (SELECT n.rated_at FROM rating n WHERE n.id = ?)) RETURNING id",
        [
            rating_id,
            RatingStatus.RATED.value,
            case_id,
            RatingStatus.UNRATED.value,
            RatingStatus.RATED.value,
            rating_id,
        ],
    )
    if not rows:
        return False
    await execute(
        conn,
        "UPDATE rating SET effective = (id = ?) WHERE case_id = ? AND (effective OR id = ?)",
        [rating_id, case_id, rating_id],
    )
    return True
