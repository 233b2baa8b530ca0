"""`submitRating`: a rating of a case, a batch or a one-thing service, on any channel."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.enums import Channel
from schema.core.context import Context
from schema.core.errors import BadInputError
from schema.core.raters import pad_rater, viewer_rater
from schema.core.text import refuse_nul
from schema.core.types import ChannelEnum, RatingDecision, business_time
from services.identity import Role
from services.rating_results import (
    EFFECTIVE,
    HELD,
    RECORDED,
    Accepted,
    Submission,
    rejected,
)
from services.submit_rating import submit_rating


@strawberry.enum(description="What became of an accepted rating")
class AcceptedStatus(Enum):
    EFFECTIVE = strawberry.enum_value(EFFECTIVE, description="it is the case's rating now")
    HELD = strawberry.enum_value(
        HELD, description="stored but held for review: it does not count until reviewed"
    )
    RECORDED = strawberry.enum_value(
        RECORDED,
        description="kept in the history: the applicant's own rating stays effective",
    )


@strawberry.input(description="Exactly one of caseNo, batchNo, integratedServiceNo")
class RatingInput:
    level: int = strawberry.field(description="5 (best) … 1 (worst)")
    channel: ChannelEnum  # type: ignore[valid-type]
    case_no: str | None = None
    batch_no: str | None = None
    integrated_service_no: str | None = None
    tags: list[str] | None = None
    comment: str | None = None
    client_request_id: str | None = strawberry.field(
        default=None, description="retries with the same id return the first answer"
    )


@strawberry.type
class SubmittedRating:
    id: strawberry.ID
    level: int
    category: str
    tags: list[str]
    comment: str | None
    channel: ChannelEnum  # type: ignore[valid-type]
    rated_at: datetime


@strawberry.type(description="The rating was stored; `status` says whether it counts")
class RatingAccepted:
    rating: SubmittedRating
    applies_to: list[str] = strawberry.field(description="every case number it applies to")
    decision: RatingDecision
    status: AcceptedStatus
    message: str = strawberry.field(description="for the rater: what became of the rating")


@strawberry.type(description="The rating was not stored; `message` is for the rater")
class RatingRejected:
    code: str
    message: str


SubmitRatingResult = Annotated[
    RatingAccepted | RatingRejected, strawberry.union("SubmitRatingResult")
]


def _target(data: RatingInput) -> tuple[str, str]:
    given = [
        (kind, value)
        for kind, value in (
            ("case", data.case_no),
            ("batch", data.batch_no),
            ("integrated_service", data.integrated_service_no),
        )
        if value
    ]
    if len(given) != 1:
        raise BadInputError("give exactly one of caseNo, batchNo, integratedServiceNo")
    return given[0]


async def resolve(info: Info[Context, None], input: RatingInput) -> SubmitRatingResult:
    target, number = _target(input)
    if input.client_request_id is not None and not 1 <= len(input.client_request_id) <= 64:
        raise BadInputError("clientRequestId must be 1-64 characters")
    if len(input.tags or ()) > 20:
        raise BadInputError("at most 20 tags")
    refuse_nul(number, input.comment, input.client_request_id, *(input.tags or ()))
    channel = Channel(input.channel)
    rater = await pad_rater(info.context)
    if rater is None:
        principal = info.context.require(
            Role.CITIZEN, Role.WINDOW_STAFF, Role.DEPT_HANDLER, Role.HOTLINE_OPERATOR
        )
        rater = viewer_rater(info.context, principal)
    if rater is None:
        refusal = rejected("NOT_RATER")
        return RatingRejected(code=refusal.code, message=refusal.message)
    collaborators = info.context.collaborators
    result = await submit_rating(
        Submission(
            target=target,
            number=number.strip(),
            level=input.level,
            channel=channel,
            tags=tuple(input.tags or ()),
            comment=(input.comment or "").strip() or None,
            client_request_id=input.client_request_id,
        ),
        rater,
        engine=collaborators.engine,
        clock=info.context.now,
        counters=collaborators.counters,
        device=info.context.device,
    )
    if not isinstance(result, Accepted):
        return RatingRejected(code=result.code, message=result.message)
    stored = result.rating
    return RatingAccepted(
        rating=SubmittedRating(
            id=strawberry.ID(str(stored.id)),
            level=stored.level,
            category=stored.category,
            tags=stored.tags,
            comment=stored.comment,
            channel=Channel(stored.channel),
            rated_at=business_time(datetime.fromisoformat(stored.rated_at)),
        ),
        applies_to=result.applies_to,
        decision=RatingDecision(rules_version=result.rules_version, fired_rules=result.fired_rules),
        status=AcceptedStatus(result.status),
        message=result.message,
    )
