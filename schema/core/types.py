"""Output types shared across resolvers. Times leave the API in business time (+08:00)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TypeVar

import strawberry
from strawberry.types import Info

from models.enums import (
    ApplicantKind,
    CallOutcome,
    CaseStatus,
    Channel,
    MatterType,
    RatingStatus,
    ReminderCallReason,
    ServedVia,
)
from rules import BUSINESS_TZ
from schema.core.context import Context
from schema.core.raters import viewer_rater
from schema.core.reference import Department, Staff, Window
from services.cases import CaseView, Named, PersonalData
from services.rating_form import default_due, refusals
from services.rating_results import RatingRefusal, rejected
from services.ratings import RatingView, rating_deadline
from services.reminder_calls import ReminderCallView

_T = TypeVar("_T")

MatterTypeEnum = strawberry.enum(MatterType, name="MatterType", description="“6+1”类事项")
ServedViaEnum = strawberry.enum(ServedVia, name="ServedVia", description="办理方式")
ApplicantKindEnum = strawberry.enum(ApplicantKind, name="ApplicantKind")
CaseStatusEnum = strawberry.enum(CaseStatus, name="CaseStatus")
ChannelEnum = strawberry.enum(Channel, name="Channel", description="评价渠道")
RatingStatusEnum = strawberry.enum(RatingStatus, name="RatingStatus")
ReminderCallReasonEnum = strawberry.enum(
    ReminderCallReason,
    name="ReminderCallReason",
    description="Why a reminder call was opened: DUE (the policy reminds by a call) or "
    "SMS_FAILED (the reminder SMS could not be delivered)",
)


@strawberry.enum(description="What a reminder call came to")
class ReminderCallOutcome(Enum):
    REACHED = strawberry.enum_value(CallOutcome.REACHED.value, description="closes the call")
    NO_ANSWER = strawberry.enum_value(
        CallOutcome.NO_ANSWER.value, description="the call stays open, to be tried again"
    )
    WRONG_NUMBER = strawberry.enum_value(
        CallOutcome.WRONG_NUMBER.value, description="closes the call"
    )


def business_time(moment: datetime) -> datetime:
    return moment.astimezone(BUSINESS_TZ)


@strawberry.type(description="事项")
class Matter:
    code: str
    name: str
    type: MatterTypeEnum  # type: ignore[valid-type]


@strawberry.type(description="一件事 / 集成服务")
class IntegratedService:
    code: str
    name: str


@strawberry.type(
    description="申请人: in full for the applicant, masked per role by the policy's `masking` "
    "section for staff (e.g. 王*明, 138****0001), null where the policy hides a field"
)
class Applicant:
    kind: ApplicantKindEnum  # type: ignore[valid-type]
    name: str | None
    id_number: str | None
    phone: str | None


@strawberry.type(description="Why a rating was treated as it was")
class RatingDecision:
    rules_version: str
    fired_rules: list[str]


@strawberry.type(description="评价")
class Rating:
    id: strawberry.ID
    level: int
    category: str
    tags: list[str]
    comment: str | None
    channel: ChannelEnum  # type: ignore[valid-type]
    rated_at: datetime
    effective: bool = strawberry.field(description="the rating that counts for the case now")
    target: str = strawberry.field(description="what was rated: case, batch or integrated_service")
    decision: RatingDecision


def rating_from_view(view: RatingView) -> Rating:
    return Rating(
        id=strawberry.ID(str(view.id)),
        level=view.level,
        category=view.category,
        tags=view.tags,
        comment=view.comment,
        channel=Channel(view.channel),
        rated_at=business_time(view.rated_at),
        effective=view.effective,
        target=view.target,
        decision=RatingDecision(rules_version=view.rules_version, fired_rules=view.fired_rules),
    )


@strawberry.type(description="办件")
class Case:
    case_no: str
    status: CaseStatusEnum  # type: ignore[valid-type]
    served_via: ServedViaEnum  # type: ignore[valid-type]
    accepted_at: datetime
    completed_at: datetime | None
    matter: Matter
    department: Department
    region_code: str
    window: Window | None
    staff: Staff | None
    batch_no: str | None
    integrated_service: IntegratedService | None
    rating_status: RatingStatusEnum  # type: ignore[valid-type]
    follow_up_awaited: bool = strawberry.field(
        description="the unit reported its fix of this case's bad rating and asks the rater "
        "to rate it again (追评): ratingForm and submitRating take that rating"
    )
    case_id: strawberry.Private[int]
    completed_utc: strawberry.Private[datetime | None]
    applicant_kind: strawberry.Private[ApplicantKind]
    personal: strawberry.Private[PersonalData]
    # (refusal,) when the page already asked whether the viewer may rate it; None: not yet.
    checked: strawberry.Private[tuple[RatingRefusal | None] | None]

    async def _refusal(self, info: Info[Context, None]) -> RatingRefusal | None:
        if self.checked is None:
            self.checked = (await _refusal_now(info, self.case_id),)
        return self.checked[0]

    @strawberry.field(
        description="whether the viewer may rate this case now on the mini-program (APP): "
        "the judgement submitRating makes"
    )
    async def can_rate(self, info: Info[Context, None]) -> bool:
        return await self._refusal(info) is None

    @strawberry.field(
        description="why not, as submitRating would answer (e.g. RATING_WINDOW_CLOSED, "
        "ALREADY_RATED, CASE_NOT_COMPLETED); null when canRate"
    )
    async def cannot_rate_code(self, info: Info[Context, None]) -> str | None:
        refusal = await self._refusal(info)
        return refusal.code if refusal is not None else None

    @strawberry.field(
        description="when the policy's default rating fell (or falls) due; null when the "
        "policy has none or the case is not completed. A default rating's ratedAt is when the "
        "sweep wrote it, which can be later"
    )
    def default_due_at(self, info: Info[Context, None]) -> datetime | None:
        due = default_due(info.context.collaborators.engine, self.completed_utc)
        return business_time(due) if due else None

    @strawberry.field(description="The applicant, as the viewer may see them")
    def applicant(self) -> Applicant:
        # Built when asked for: a page that does not show the applicant decrypts nothing.
        personal = self.personal
        return Applicant(
            kind=self.applicant_kind,
            name=personal.name,
            id_number=personal.id_number,
            phone=personal.phone,
        )

    @strawberry.field(description="End of the late-rating window; null when the policy has none")
    def rating_deadline(self, info: Info[Context, None]) -> datetime | None:
        deadline = rating_deadline(info.context.collaborators.engine, self.completed_utc)
        return business_time(deadline) if deadline else None

    @strawberry.field(description="Every rating of this case, oldest first")
    async def ratings(self, info: Info[Context, None]) -> list[Rating]:
        return [rating_from_view(r) for r in await info.context.ratings.load(self.case_id)]

    @strawberry.field(description="The rating that counts now, or null")
    async def effective_rating(self, info: Info[Context, None]) -> Rating | None:
        found = [r for r in await info.context.ratings.load(self.case_id) if r.effective]
        return rating_from_view(found[-1]) if found else None


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def _named(kind: type[_T], named: Named | None) -> _T | None:
    return kind(code=named.code, name=named.name) if named else None  # type: ignore[call-arg]


async def _refusal_now(info: Info[Context, None], case_id: int) -> RatingRefusal | None:
    context = info.context
    principal = context.principal()
    rater = viewer_rater(context, principal) if principal is not None else None
    if rater is None:
        return rejected("NOT_RATER")
    found = await refusals(
        [case_id], rater, context.collaborators.engine, context.now(), Channel.APP
    )
    return found.get(case_id, rejected("NOT_FOUND"))


def case_from_view(view: CaseView, checked: tuple[RatingRefusal | None] | None = None) -> Case:
    return Case(
        case_no=view.case_no,
        status=view.status,
        served_via=view.served_via,
        accepted_at=business_time(view.accepted_at),
        completed_at=business_time(view.completed_at) if view.completed_at else None,
        matter=Matter(code=view.matter.code, name=view.matter.name, type=view.matter_type),
        department=Department(code=view.department.code, name=view.department.name),
        region_code=view.region_code,
        window=_named(Window, view.window),
        staff=_named(Staff, view.staff),
        batch_no=view.batch_no,
        integrated_service=_named(IntegratedService, view.integrated_service),
        applicant_kind=view.applicant_kind,
        personal=view.personal,
        rating_status=view.rating_status,
        follow_up_awaited=view.follow_up_since is not None,
        case_id=view.id,
        completed_utc=view.completed_at,
        checked=checked,
    )


@strawberry.type(
    description="提醒电话: a call the case's department is to make to someone who has not "
    "rated it. No personal data: the masked applicant is on `case(caseNo)`, the full phone "
    "only through revealContact"
)
class ReminderCall:
    id: strawberry.ID
    case_no: str
    matter_name: str
    completed_at: datetime
    opened_at: datetime
    reason: ReminderCallReasonEnum  # type: ignore[valid-type]
    attempts: int = strawberry.field(description="calls recorded so far")
    last_outcome: ReminderCallOutcome | None


def reminder_call_from_view(view: ReminderCallView) -> ReminderCall:
    last = view.last_outcome
    return ReminderCall(
        id=strawberry.ID(str(view.id)),
        case_no=view.case_no,
        matter_name=view.matter_name,
        completed_at=business_time(view.completed_at),
        opened_at=business_time(view.opened_at),
        reason=view.reason,
        attempts=view.attempts,
        last_outcome=ReminderCallOutcome[last.name] if last is not None else None,
    )
