"""`heldRatings`: the area admin's queue of ratings held for review (the burst rule, or a
comment with one of the policy's listed words), oldest first, with the review's due time."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.errors import BadInputError
from schema.core.types import PageInfo, business_time
from services import moderation
from services.identity import Role
from services.paging import BadCursorError, PageSizeError


@strawberry.type(description="A rating held for an admin's review; not counted or not published")
class HeldRating:
    id: strawberry.ID
    case_no: str
    department_code: str
    level: int
    level_label: str
    comment: str | None
    channel: str
    rated_at: datetime
    reason: str = strawberry.field(description="WORDS (listed words) or BURST (burst rule)")
    matched_words: list[str]
    due_at: datetime | None = strawberry.field(description="when the review is due (policy)")


def held_rating_from(view: moderation.HeldRating) -> HeldRating:
    return HeldRating(
        id=strawberry.ID(str(view.id)),
        case_no=view.case_no,
        department_code=view.department_code,
        level=view.level,
        level_label=view.level_label,
        comment=view.comment,
        channel=view.channel,
        rated_at=business_time(view.rated_at),
        reason=view.reason,
        matched_words=list(view.matched_words),
        due_at=business_time(view.due_at) if view.due_at else None,
    )


@strawberry.type
class HeldRatingConnection:
    nodes: list[HeldRating]
    page_info: PageInfo


async def held_ratings(
    info: Info[Context, None], first: int = 50, after: str | None = None
) -> HeldRatingConnection:
    viewer = info.context.require(Role.AREA_ADMIN)
    try:
        page = await moderation.held_ratings(
            viewer=viewer,
            engine=info.context.collaborators.engine,
            first=first,
            after=after,
        )
    except (BadCursorError, PageSizeError) as exc:
        raise BadInputError(str(exc)) from None
    return HeldRatingConnection(
        nodes=[held_rating_from(v) for v in page.nodes],
        page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
    )
