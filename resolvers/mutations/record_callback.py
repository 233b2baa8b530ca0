"""`recordCallback`: the department's handler records the callback (回访) to the bad rater."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.text import refuse_nul
from schema.core.work_items import CallbackOutcome, WorkItemActionResult, run
from services.identity import Role
from services.work_item_actions import record_callback


async def resolve(
    info: Info[Context, None], id: strawberry.ID, outcome: CallbackOutcome, note: str = ""
) -> WorkItemActionResult:
    viewer = info.context.require(Role.WINDOW_STAFF, Role.DEPT_HANDLER, Role.AREA_ADMIN)
    refuse_nul(note)
    return await run(info, viewer, id, record_callback(outcome.value, note))
