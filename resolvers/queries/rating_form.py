"""`ratingForm`: what the mini-program, the QR page and the pad show for a case."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from models.enums import Channel, RatingStatus
from rules import Prior
from schema.core.context import Context
from schema.core.errors import NotFoundError
from schema.core.text import refuse_nul
from schema.core.types import ChannelEnum, business_time
from services.identity import Role
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


@strawberry.type(description="Everything a client needs to render the rating form of a case")
class RatingForm:
    case_no: str
    levels: list[FormLevel]
    deadline: datetime | None = strawberry.field(description="end of the late-rating window")
    already_rated: bool


async def rating_form(
    info: Info[Context, None],
    case_no: str,
    channel: ChannelEnum,  # type: ignore[valid-type]
) -> RatingForm:
    """The form for one case on one channel, built from the active policy. A paired pad gets
    it for the cases it may rate: completed at its window within HCP_PAD_RATING_MINUTES."""
    refuse_nul(case_no)
    pad = await info.context.pad()
    if pad is not None:
        return await _pad_form(info, case_no, Channel(channel), pad.window_code)
    viewer = info.context.require(
        Role.CITIZEN, Role.WINDOW_STAFF, Role.DEPT_HANDLER, Role.HOTLINE_OPERATOR
    )
    view = await info.context.visible_case(case_no, viewer)
    if view is None:
        raise NotFoundError("no case with this caseNo that you may rate")
    if view.follow_up_since is not None:  # 追评: the fix is rated as a new rating, from then
        return _form(
            info, view.case_no, Channel(channel), view.follow_up_since, RatingStatus.UNRATED
        )
    return _form(info, view.case_no, Channel(channel), view.completed_at, view.rating_status)


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
    )
