"""`windowEvents(windowCode)`: the pad of a window hears about each case completed there.

A pad's credential is checked again at each event on the window's topic, and revoking a pad
publishes one there: a revoked pad's subscription ends with UNAUTHENTICATED at once; and
every RECHECK_SECONDS on a quiet topic, in case that event was lost (Redis down)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.errors import ForbiddenError, NotFoundError
from schema.core.events import window_topic, with_ticks
from services.identity import Role
from services.pads import window_department

RECHECK_SECONDS = 30.0


@strawberry.type(description="A case just completed at the window (what the pad shows)")
class WindowEvent:
    window_code: str
    case_no: str
    matter_name: str
    staff_name: str | None
    completed_at: datetime


async def _authorise(info: Info[Context, None], window_code: str) -> bool:
    """Whether the listener is a pad (its pairing is checked again at each event)."""
    pad = await info.context.pad()
    if pad is not None:
        if pad.window_code != window_code:
            raise ForbiddenError("this pad is paired to another window")
        return True
    staff = info.context.require(Role.WINDOW_STAFF, Role.DEPT_HANDLER)
    department = await window_department(window_code)
    if department is None:
        raise NotFoundError("no such window")
    if staff.department_code != department:
        raise ForbiddenError("only the window's department follows its events")
    return False


async def window_events(
    info: Info[Context, None], window_code: str
) -> AsyncGenerator[WindowEvent, None]:
    is_pad = await _authorise(info, window_code)
    broker = info.context.collaborators.broker
    events = broker.subscribe(window_topic(window_code))
    async for event in with_ticks(events, RECHECK_SECONDS) if is_pad else events:
        if is_pad:
            await info.context.pad()  # UNAUTHENTICATED once revoked or expired
        if event is None or "caseNo" not in event:
            continue  # a tick, or a pad revoked (only that pad's check above ends it)
        yield WindowEvent(
            window_code=event["windowCode"],
            case_no=event["caseNo"],
            matter_name=event["matterName"],
            staff_name=event.get("staffName"),
            completed_at=datetime.fromisoformat(event["completedAt"]),
        )
