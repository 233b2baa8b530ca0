"""`padQueue`: the cases a paired pad may still offer for rating, oldest first, so a pad
that (re)connects, or has just taken a rating, knows every case waiting at its window."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.errors import ForbiddenError, UnauthenticatedError
from schema.core.types import business_time
from services.windows import pad_queue as waiting_at_window


@strawberry.type(description="A case waiting on the pad to be rated")
class PadQueueItem:
    case_no: str
    matter_name: str
    staff_name: str | None
    completed_at: datetime
    rate_by: datetime = strawberry.field(
        description="after this the pad may no longer rate it (HCP_PAD_RATING_MINUTES)"
    )


async def pad_queue(info: Info[Context, None]) -> list[PadQueueItem]:
    """For a paired pad only: the unrated cases completed at its window within the pad's
    rating window, oldest first (at most 20)."""
    pad = await info.context.pad()
    if pad is None:
        if info.context.principal() is None:
            raise UnauthenticatedError("only a paired pad reads its queue")
        raise ForbiddenError("only a paired pad reads its queue")
    items = await waiting_at_window(
        window_code=pad.window_code,
        now=info.context.now(),
        within=info.context.collaborators.pad_rating_window,
    )
    return [
        PadQueueItem(
            case_no=item.case_no,
            matter_name=item.matter_name,
            staff_name=item.staff_name,
            completed_at=business_time(item.completed_at),
            rate_by=business_time(item.rate_by),
        )
        for item in items
    ]
