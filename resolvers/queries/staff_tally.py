"""`staffTally`: each rated staff member's confirmed bad ratings over the policy's period,
and whom the policy flags (fenghua: 2 or more in a year)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.reference import Department, Staff
from schema.core.types import business_time
from services.identity import Role
from services.staff_tally import staff_tally as tally


@strawberry.type
class StaffCount:
    staff: Staff
    department: Department
    confirmed: int = strawberry.field(description="bad ratings confirmed in the period")
    flagged: bool = strawberry.field(description="at or over the policy's count")


@strawberry.type(description="Confirmed bad ratings per staff member, the most first")
class StaffTally:
    since: datetime
    threshold: int | None = strawberry.field(
        description="how many flag a staff member (the policy's workflow.staff_flag); null: "
        "the policy flags nobody"
    )
    rule_id: str | None
    rows: list[StaffCount]


async def staff_tally(info: Info[Context, None], since: datetime | None = None) -> StaffTally:
    viewer = info.context.require(Role.DEPT_HANDLER, Role.AREA_ADMIN)
    found = await tally(
        viewer=viewer, engine=info.context.collaborators.engine, now=info.context.now(), since=since
    )
    return StaffTally(
        since=business_time(found.since),
        threshold=found.threshold,
        rule_id=found.rule_id,
        rows=[
            StaffCount(
                staff=Staff(code=r.staff.code, name=r.staff.name),
                department=Department(code=r.department.code, name=r.department.name),
                confirmed=r.confirmed,
                flagged=r.flagged,
            )
            for r in found.rows
        ],
    )
