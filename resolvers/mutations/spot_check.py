"""`spotCheck`: the area admin checks a closed item drawn for a spot check (抽查); one that
fails goes back to rectification."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.text import refuse_nul
from schema.core.work_items import WorkItemActionResult, run
from services.identity import Role
from services.work_item_actions import spot_check


async def resolve(
    info: Info[Context, None], id: strawberry.ID, passed: bool, note: str = ""
) -> WorkItemActionResult:
    viewer = info.context.require(Role.WINDOW_STAFF, Role.DEPT_HANDLER, Role.AREA_ADMIN)
    refuse_nul(note)
    return await run(info, viewer, id, spot_check(passed, note))
