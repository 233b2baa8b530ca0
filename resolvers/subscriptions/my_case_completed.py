"""`myCaseCompleted(windowCode)`: the scan page of a signed-in citizen hears of their own case
as soon as it completes at the window they scanned."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.errors import NotFoundError
from schema.core.events import window_topic
from schema.core.text import refuse_nul
from schema.core.types import Matter, RatingStatusEnum, business_time
from services.cases import CaseView
from services.identity import Role
from services.ratings import rating_deadline
from services.window_arrivals import own_completion
from services.windows import window_exists


@strawberry.type(description="The viewer's own case, just completed at the window they scanned")
class MyCompletedCase:
    case_no: str
    matter: Matter
    window_code: str
    completed_at: datetime
    rating_status: RatingStatusEnum  # type: ignore[valid-type]
    rating_deadline: datetime | None = strawberry.field(
        description="End of the late-rating window; null when the policy has none"
    )


def _completed(info: Info[Context, None], view: CaseView, window_code: str) -> MyCompletedCase:
    assert view.completed_at is not None
    deadline = rating_deadline(info.context.collaborators.engine, view.completed_at)
    return MyCompletedCase(
        case_no=view.case_no,
        matter=Matter(code=view.matter.code, name=view.matter.name, type=view.matter_type),
        window_code=window_code,
        completed_at=business_time(view.completed_at),
        rating_status=view.rating_status,
        rating_deadline=business_time(deadline) if deadline else None,
    )


async def my_case_completed(
    info: Info[Context, None], window_code: str
) -> AsyncGenerator[MyCompletedCase, None]:
    """Citizens only; each case of the viewer completed at the window from now on (another
    person's completions there are not sent, nor anything of them)."""
    viewer = info.context.require(Role.CITIZEN)
    refuse_nul(window_code)
    code = window_code.strip()
    if not await window_exists(code):
        raise NotFoundError("no such window")
    context = info.context
    async for event in context.collaborators.broker.subscribe(window_topic(code)):
        view = await own_completion(
            str(event["caseNo"]),
            window_code=code,
            viewer=viewer,
            vault=context.vault,
            engine=context.collaborators.engine,
        )
        if view is not None:
            yield _completed(info, view, code)
