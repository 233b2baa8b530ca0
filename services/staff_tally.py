"""The per-staff tally of confirmed bad ratings (经核实的差评: the appeal rejected or never
filed), and the staff the policy flags for it (`workflow.staff_flag`; fenghua: 2 or more
in a year, for the district's conduct office to look into)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from models.stores import work_items as store
from rules import BUSINESS_TZ, Engine
from services.cases import Named
from services.identity import Principal
from services.work_items import item_scope

MAX_ROWS = 500


@dataclass(frozen=True)
class StaffCount:
    staff: Named
    department: Named
    confirmed: int
    flagged: bool


@dataclass(frozen=True)
class StaffTally:
    since: datetime
    threshold: int | None  # the policy's count that flags a staff member (None: no flag)
    rule_id: str | None
    rows: list[StaffCount]


async def staff_tally(
    *, viewer: Principal, engine: Engine, now: datetime, since: datetime | None
) -> StaffTally:
    """Since `since`, or over the policy's period up to `now`, or (a policy without staff
    flags) since the start of the business year."""
    flag = engine.loop().staff_flag
    if since is None:
        local = now.astimezone(BUSINESS_TZ)
        start_of_year = local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
        since = now - timedelta(days=flag.days) if flag else start_of_year
    rows = await store.staff_tally(item_scope(viewer), since.astimezone(UTC), MAX_ROWS)
    return StaffTally(
        since=since,
        threshold=flag.confirmed if flag else None,
        rule_id=flag.id if flag else None,
        rows=[
            StaffCount(
                staff=Named(r["code"], r["name"]),
                department=Named(r["department_code"], r["department_name"]),
                confirmed=int(r["confirmed"]),
                flagged=flag is not None and int(r["confirmed"]) >= flag.confirmed,
            )
            for r in rows
        ],
    )
