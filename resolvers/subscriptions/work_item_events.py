"""`workItemEvents`: a department's staff hear of each new bad-rating work item of their
department and of its passed deadlines; an area admin those of their region."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.types import business_time
from services.identity import Role
from services.work_item_events import follow


@strawberry.type(description="Something happened to a work item the listener works")
class WorkItemEvent:
    item_id: strawberry.ID
    case_no: str
    department_code: str
    action: str = strawberry.field(
        description="opened (a new bad rating) or deadline_passed (see outcome)"
    )
    step: str | None
    outcome: str | None = strawberry.field(
        description="for deadline_passed, what the policy does: ESCALATE, NOTHING, "
        "DEEM_CONFIRMED or REVIEW"
    )
    escalated: bool
    due_at: datetime | None
    at: datetime


async def work_item_events(info: Info[Context, None]) -> AsyncGenerator[WorkItemEvent, None]:
    viewer = info.context.require(Role.WINDOW_STAFF, Role.DEPT_HANDLER, Role.AREA_ADMIN)
    async for event in follow(viewer):
        yield WorkItemEvent(
            item_id=strawberry.ID(str(event.item_id)),
            case_no=event.case_no,
            department_code=event.department_code,
            action=event.action,
            step=event.step,
            outcome=event.outcome,
            escalated=event.escalated,
            due_at=business_time(event.due_at) if event.due_at else None,
            at=business_time(event.at),
        )
