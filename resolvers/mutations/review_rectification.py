"""`reviewRectification`: the area admin accepts the fix or returns it to be done again;
the same at the full review after a bad (or missing) follow-up rating."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.text import refuse_nul
from schema.core.work_items import WorkItemActionResult, run
from services.identity import Role
from services.work_item_actions import review_rectification


async def resolve(
    info: Info[Context, None], id: strawberry.ID, accepted: bool, note: str = ""
) -> WorkItemActionResult:
    viewer = info.context.require(Role.WINDOW_STAFF, Role.DEPT_HANDLER, Role.AREA_ADMIN)
    refuse_nul(note)
    return await run(info, viewer, id, review_rectification(accepted, note))
