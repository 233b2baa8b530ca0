"""`reviewHeldRating`: the area admin approves a held rating (it counts, or its comment may
be published) or rejects it (never counted, or never published); once."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.queries.held_ratings import HeldRating, held_rating_from
from schema.core.context import Context
from services.identity import Role
from services.moderation import REVIEW_REFUSALS, ReviewRefusal, review_held_rating
from services.paging import parse_id


@strawberry.type(description="Reviewed: the rating as it was held")
class HeldRatingReviewed:
    rating: HeldRating


@strawberry.type(description="Nothing was done. `message` is for staff")
class HeldRatingRefused:
    code: str = strawberry.field(description="NOT_FOUND (or already reviewed)")
    message: str


ReviewHeldRatingResult = Annotated[
    HeldRatingReviewed | HeldRatingRefused, strawberry.union("ReviewHeldRatingResult")
]


async def resolve(
    info: Info[Context, None], id: strawberry.ID, approve: bool
) -> ReviewHeldRatingResult:
    viewer = info.context.require(Role.AREA_ADMIN)
    rating_id = parse_id(str(id).strip())
    if rating_id is None:
        return HeldRatingRefused(code="NOT_FOUND", message=REVIEW_REFUSALS["NOT_FOUND"])
    result = await review_held_rating(
        viewer=viewer,
        rating_id=rating_id,
        approve=approve,
        engine=info.context.collaborators.engine,
        now=info.context.now(),
    )
    if isinstance(result, ReviewRefusal):
        return HeldRatingRefused(code=result.code, message=result.message)
    return HeldRatingReviewed(rating=held_rating_from(result))
