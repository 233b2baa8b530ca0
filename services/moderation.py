"""The admins' queue of held ratings (暂缓计入/待审核): what the burst rule held, and ratings
whose comment has one of the policy's listed words. Approving a burst-held rating makes it
its case's rating unless a later one already is (and opens the work item a bad one needs);
approving a comment lets it be published. Rejecting keeps the rating out of the count (a
burst hold) or its comment unpublished (a listed word), for good."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from models.db import as_utc
from models.stores import moderation as store
from models.stores.scope import Reach, Scope
from rules import MODERATION_REVIEW, Engine
from services.identity import Principal, Role
from services.paging import check_first, decode_cursor, encode_cursor, row_id, split_page
from services.work_items import settle_work_items

APPROVED, REJECTED = "APPROVED", "REJECTED"
_CURSOR = "held"
REVIEW_REFUSALS = {
    "NOT_FOUND": "没有找到这条待审核的评价，或已由他人审核",
}


@dataclass(frozen=True)
class HeldRating:
    id: int
    case_no: str
    department_code: str
    level: int
    level_label: str
    comment: str | None
    channel: str
    rated_at: datetime
    reason: str  # WORDS: its comment has listed words; BURST: held by the burst rule
    matched_words: tuple[str, ...]
    due_at: datetime | None


@dataclass(frozen=True)
class HeldPage:
    nodes: list[HeldRating]
    has_next_page: bool
    end_cursor: str | None


@dataclass(frozen=True)
class ReviewRefusal:
    code: str
    message: str


def _scope(viewer: Principal) -> Scope:
    if viewer.role is Role.AREA_ADMIN:
        return Scope(Reach.REGION, viewer.region_code)
    return Scope(Reach.NONE)


def _view(row: dict[str, Any], engine: Engine) -> HeldRating:
    rated_at = as_utc(row["rated_at"])
    assert rated_at is not None  # NOT NULL column
    matched = engine.moderation(row["comment"] or "").value.matched
    level = engine.level(int(row["level"])).value
    due = engine.deadline(MODERATION_REVIEW, rated_at).value
    return HeldRating(
        id=int(row["id"]),
        case_no=row["case_no"],
        department_code=row["department_code"],
        level=int(row["level"]),
        level_label=level.label if level else str(row["level"]),
        comment=row["comment"],
        channel=row["channel"],
        rated_at=rated_at,
        reason="WORDS" if matched else "BURST",
        matched_words=matched,
        due_at=due.due.astimezone(UTC) if due else None,
    )


async def held_ratings(
    *, viewer: Principal, engine: Engine, first: int, after: str | None
) -> HeldPage:
    """The held ratings of the admin's region, oldest first."""
    check_first(first)
    last = decode_cursor(after, _CURSOR, row_id)[0] if after else 0
    rows = await store.held_page(_scope(viewer), last, first + 1)
    page, more = split_page(rows, first)
    nodes = [_view(row, engine) for row in page]
    end = encode_cursor(_CURSOR, nodes[-1].id) if nodes else None
    return HeldPage(nodes=nodes, has_next_page=more, end_cursor=end)


async def review_held_rating(
    *, viewer: Principal, rating_id: int, approve: bool, engine: Engine, now: datetime
) -> HeldRating | ReviewRefusal:
    at = now.astimezone(UTC)
    async with in_transaction() as conn:
        row = await store.held_one(conn, rating_id, _scope(viewer))
        decision = APPROVED if approve else REJECTED
        if row is None or not await store.release(conn, rating_id, decision, viewer.subject, at):
            return ReviewRefusal("NOT_FOUND", REVIEW_REFUSALS["NOT_FOUND"])
        counts_now = approve and not row["effective"]
        if counts_now and await store.promote(conn, rating_id, int(row["case_id"])):
            await settle_work_items(conn, row["act_id"], now, engine)
    return _view(row, engine)
