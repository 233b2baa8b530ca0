"""`recordReminderCall`: what came of a reminder call (提醒电话); audited."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from models.enums import CallOutcome
from schema.core.context import Context
from schema.core.types import ReminderCall, ReminderCallOutcome, reminder_call_from_view
from services.identity import Role
from services.reminder_calls import Recorded, record_reminder_call


@strawberry.type(description="Recorded (and audited); a call that got no answer stays open")
class ReminderCallRecorded:
    call: ReminderCall


@strawberry.type(description="Nothing was recorded. `message` is for staff")
class ReminderCallRefused:
    code: str = strawberry.field(description="NOT_FOUND or ALREADY_CLOSED")
    message: str


RecordReminderCallResult = Annotated[
    ReminderCallRecorded | ReminderCallRefused, strawberry.union("RecordReminderCallResult")
]


async def resolve(
    info: Info[Context, None], id: strawberry.ID, outcome: ReminderCallOutcome
) -> RecordReminderCallResult:
    viewer = info.context.require(Role.DEPT_HANDLER, Role.AREA_ADMIN)
    result = await record_reminder_call(
        call_id=str(id),
        outcome=CallOutcome[outcome.name],
        viewer=viewer,
        vault=info.context.vault,
        now=info.context.now(),
    )
    if isinstance(result, Recorded):
        return ReminderCallRecorded(call=reminder_call_from_view(result.call))
    return ReminderCallRefused(code=result.code, message=result.message)
