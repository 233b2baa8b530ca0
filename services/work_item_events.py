"""What a worklist hears as it happens (`workItemEvents`): a new item for the department
(a new bad rating) and a deadline passed (overdue, escalated to the admin, or moved on).

Read from the items' own timeline, which every worker and the sweep write in the same
transaction as the change: nothing is announced that did not happen, nothing that happened
is missed when a worker or Redis restarts, and a listener sees only its own scope."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from models.db import as_utc
from models.stores import work_items as store
from services.identity import Principal
from services.work_items import item_scope

POLL_SECONDS = 2.0
_BATCH = 100


@dataclass(frozen=True)
class WorkItemEvent:
    item_id: int
    case_no: str
    department_code: str
    action: str  # opened | deadline_passed
    step: str | None
    outcome: str | None
    escalated: bool
    due_at: datetime | None
    at: datetime


async def follow(
    viewer: Principal, *, poll: float = POLL_SECONDS, after_id: int | None = None
) -> AsyncIterator[WorkItemEvent]:
    """The events of the viewer's items from now on (or after event `after_id`)."""
    scope = item_scope(viewer)
    last = await store.last_event_id() if after_id is None else after_id
    while True:
        rows = await store.events_after(scope, last, _BATCH)
        for row in rows:
            last = int(row["id"])
            at = as_utc(row["at"])
            assert at is not None  # NOT NULL column
            yield WorkItemEvent(
                item_id=int(row["item_id"]),
                case_no=row["case_no"],
                department_code=row["department_code"],
                action=row["action"],
                step=row["step"],
                outcome=row["outcome"],
                escalated=bool(row["escalated"]),
                due_at=as_utc(row["due_at"]),
                at=at,
            )
        if len(rows) < _BATCH:
            await asyncio.sleep(poll)
