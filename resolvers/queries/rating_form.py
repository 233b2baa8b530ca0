"""`ratingForm`: what the mini-program, the QR page and the pad show for a case."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from models.enums import Channel, RatingStatus
from rules import Prior
from schema.core.context import Context
from schema.core.errors import NotFoundError
from schema.core.raters import pad_rater, viewer_rater
from schema.core.text import refuse_nul
from schema.core.types import ChannelEnum, business_time
from services.identity import Role
from services.raters import Rater
from services.rating_form import after_bad
from services.rating_form import form_facts as rating_facts
from services.rating_results import RatingRefusal, rejected
from services.ratings import form_levels, prior, rating_deadline
from services.windows import pad_case


@strawberry.type(description="A reason tag offered for a level")
class FormTag:
    code: str
    label: str


@strawberry.type(description="One level as the rater is shown it")
class FormLevel:
    level: int
    label: str
    category: str
    reason_required: bool
    tags: list[FormTag]


@strawberry.type(description="Why the case cannot be rated now, as submitRating would answer")
class RateRefusal:
    code: str
    message: str


@strawberry.enum(description="Which cases one rating of the case lands on")
class ReachKind(Enum):
    CASE = "case"
    BATCH = strawberry.enum_value("batch", description="the whole batch (批量业务一次评价)")
    MEMBERS = strawberry.enum_value("members", description="every member of the one-thing bundle")


@strawberry.type(description="Where a rating of this case lands, by the policy's scope")
class RatingReach:
    kind: ReachKind
    case_count: int
    notice: str | None = strawberry.field(
        description="for the rater, when the rating lands on more than this case"
    )


@strawberry.type(description="The one-thing bundle (一件事) the case belongs to")
class OneThingRating:
    number: str = strawberry.field(description="integratedServiceNo for an overall rating")
    name: str
    member_count: int
    overall_allowed: bool = strawberry.field(
        description="whether one overall rating (submitRating with integratedServiceNo) "
        "applies to every member (rules.yaml scope.integrated_service)"
    )
    notice: str


@strawberry.type(description="Everything a client needs to render the rating form of a case")
class RatingForm:
    case_no: str
    levels: list[FormLevel]
    deadline: datetime | None = strawberry.field(description="end of the late-rating window")
    already_rated: bool
    can_rate: bool = strawberry.field(
        description="whether submitRating would accept a good rating of the case now"
    )
    cannot_rate: RateRefusal | None = strawberry.field(description="why not; null when canRate")
    applies_to: RatingReach
    integrated_service: OneThingRating | None = strawberry.field(
        description="null outside a one-thing bundle"
    )
    after_bad: str | None = strawberry.field(
        description="what happens after a bad rating: the policy's first step of the "
        "bad-rating loop and its deadline; null when the policy has none"
    )


async def rating_form(
    info: Info[Context, None],
    case_no: str,
    channel: ChannelEnum,  # type: ignore[valid-type]
) -> RatingForm:
    """The form for one case on one channel, built from the active policy. A paired pad gets
    it for the cases it may rate: completed at its window within HCP_PAD_RATING_MINUTES."""
    refuse_nul(case_no)
    pad = await pad_rater(info.context)
    if pad is not None and pad.pad_window_code is not None:
        form = await _pad_form(info, case_no, Channel(channel), pad.pad_window_code)
        return await _judged(info, form, pad, Channel(channel))
    viewer = info.context.require(
        Role.CITIZEN, Role.WINDOW_STAFF, Role.DEPT_HANDLER, Role.HOTLINE_OPERATOR
    )
    view = await info.context.visible_case(case_no, viewer)
    if view is None:
        raise NotFoundError("no case with this caseNo that you may rate")
    if view.follow_up_since is not None:  # 追评: the fix is rated as a new rating, from then
        form = _form(
            info, view.case_no, Channel(channel), view.follow_up_since, RatingStatus.UNRATED
        )
    else:
        form = _form(info, view.case_no, Channel(channel), view.completed_at, view.rating_status)
    return await _judged(info, form, viewer_rater(info.context, viewer), Channel(channel))


async def _judged(
    info: Info[Context, None], form: RatingForm, rater: Rater | None, channel: Channel
) -> RatingForm:
    """The form with what submitRating would say, where the rating lands, the bundle and
    what follows a bad rating."""
    engine, now = info.context.collaborators.engine, info.context.now()
    if rater is None:
        refusal: RatingRefusal | None = rejected("NOT_RATER")
        facts = None
    else:
        facts = await rating_facts(form.case_no, rater, engine, now, channel)
        refusal = facts.refusal
    form.can_rate = refusal is None
    form.cannot_rate = RateRefusal(code=refusal.code, message=refusal.message) if refusal else None
    if facts is not None:
        landing, bundle = facts.landing, facts.bundle
        form.applies_to = RatingReach(
            kind=ReachKind(landing.kind.value), case_count=landing.case_count, notice=landing.notice
        )
        form.integrated_service = (
            OneThingRating(
                number=bundle.number,
                name=bundle.name,
                member_count=bundle.member_count,
                overall_allowed=bundle.overall_allowed,
                notice=bundle.notice,
            )
            if bundle is not None
            else None
        )
    form.after_bad = after_bad(engine, now)
    return form


async def _pad_form(
    info: Info[Context, None], case_no: str, channel: Channel, window_code: str
) -> RatingForm:
    found = await pad_case(
        case_no,
        window_code=window_code,
        now=info.context.now(),
        within=info.context.collaborators.pad_rating_window,
    )
    if found is None:
        raise NotFoundError("no case with this caseNo that you may rate")
    return _form(info, found.case_no, channel, found.completed_at, found.rating_status)


def _form(
    info: Info[Context, None],
    case_no: str,
    channel: Channel,
    completed_at: datetime | None,
    status: RatingStatus,
) -> RatingForm:
    engine = info.context.collaborators.engine
    deadline = rating_deadline(engine, completed_at)
    return RatingForm(
        case_no=case_no,
        levels=[
            FormLevel(
                level=lv.level,
                label=lv.label,
                category=lv.category,
                reason_required=lv.reason_required,
                tags=[FormTag(code=t.code, label=t.label) for t in lv.tags],
            )
            for lv in form_levels(engine, channel.value)
        ],
        deadline=business_time(deadline) if deadline else None,
        already_rated=prior(engine, status, completed_at, info.context.now()) is not Prior.NONE,
        can_rate=False,
        cannot_rate=None,
        applies_to=RatingReach(kind=ReachKind.CASE, case_count=1, notice=None),
        integrated_service=None,
        after_bad=None,
    )
