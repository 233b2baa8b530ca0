"""`reminderCalls`: the reminder calls (提醒电话) a department's handlers are to make, and
their region's admins oversee."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.errors import BadInputError
from schema.core.types import PageInfo, ReminderCall, reminder_call_from_view
from services import reminder_calls as calls
from services.identity import Role
from services.paging import BadCursorError, PageSizeError


@strawberry.type(description="Open reminder calls, oldest opened first")
class ReminderCallConnection:
    nodes: list[ReminderCall]
    page_info: PageInfo


async def reminder_calls(
    info: Info[Context, None], first: int = 50, after: str | None = None
) -> ReminderCallConnection:
    """提醒电话: the open calls of the handler's department, or of the cases of the admin's
    region, oldest first."""
    viewer = info.context.require(Role.DEPT_HANDLER, Role.AREA_ADMIN)
    try:
        page = await calls.reminder_calls(
            viewer=viewer, vault=info.context.vault, first=first, after=after
        )
    except (BadCursorError, PageSizeError) as exc:
        raise BadInputError(str(exc)) from None
    return ReminderCallConnection(
        nodes=[reminder_call_from_view(view) for view in page.nodes],
        page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
    )
