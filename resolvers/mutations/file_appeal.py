"""`fileAppeal`: the rated unit disputes the bad rating (申诉), with evidence where the
policy asks for it, before the appeal deadline."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.text import refuse_nul
from schema.core.work_items import WorkItemActionResult, evidence_ids, run
from services.identity import Role
from services.work_item_actions import file_appeal


async def resolve(
    info: Info[Context, None],
    id: strawberry.ID,
    reason: str,
    evidence: list[strawberry.ID] | None = None,
) -> WorkItemActionResult:
    viewer = info.context.require(Role.WINDOW_STAFF, Role.DEPT_HANDLER, Role.AREA_ADMIN)
    refuse_nul(reason)
    ids = evidence_ids(evidence)
    return await run(info, viewer, id, file_appeal(reason, ids) if ids is not None else None)
