"""`submitRectification`: the unit reports what it fixed (整改), with evidence where the
policy asks for it; also how a unit that does not appeal moves past the appeal step."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.text import refuse_nul
from schema.core.work_items import WorkItemActionResult, evidence_ids, run
from services.identity import Role
from services.work_item_actions import submit_rectification


async def resolve(
    info: Info[Context, None],
    id: strawberry.ID,
    measures: str,
    evidence: list[strawberry.ID] | None = None,
) -> WorkItemActionResult:
    viewer = info.context.require(Role.WINDOW_STAFF, Role.DEPT_HANDLER, Role.AREA_ADMIN)
    refuse_nul(measures)
    ids = evidence_ids(evidence)
    action = submit_rectification(measures, ids) if ids is not None else None
    return await run(info, viewer, id, action)
