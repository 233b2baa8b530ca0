"""`decideAppeal`: the area admin upholds an appeal (the rating was mistaken, malicious or
invalid; the policy's `appeal_upheld` says what becomes of it) or rejects it (the fix is
due)."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.text import refuse_nul
from schema.core.work_items import WorkItemActionResult, run
from services.identity import Role
from services.work_item_actions import decide_appeal


@strawberry.enum
class AppealDecision(Enum):
    UPHELD = "UPHELD"
    REJECTED = "REJECTED"


@strawberry.enum(description="What an upheld appeal found the rating to be (误评/恶意/无效)")
class AppealFinding(Enum):
    MISTAKEN = "MISTAKEN"
    MALICIOUS = "MALICIOUS"
    INVALID = "INVALID"


async def resolve(
    info: Info[Context, None],
    id: strawberry.ID,
    decision: AppealDecision,
    finding: AppealFinding | None = None,
    note: str = "",
) -> WorkItemActionResult:
    viewer = info.context.require(Role.WINDOW_STAFF, Role.DEPT_HANDLER, Role.AREA_ADMIN)
    refuse_nul(note)
    upheld = decision is AppealDecision.UPHELD
    found = (finding or AppealFinding.MISTAKEN).value
    return await run(info, viewer, id, decide_appeal(upheld, found, note))
