"""`windowInfo(code)`: what a window's poster and scan page show before anyone signs in."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.errors import NotFoundError
from schema.core.reference import Department
from schema.core.text import refuse_nul
from services.windows import find_window


@strawberry.type(description="A window as the public sees it: no personal data")
class WindowInfo:
    code: str
    name: str
    hall_name: str | None
    department: Department
    staff_on_duty: list[str] = strawberry.field(
        description="names of the staff who completed cases here today (business time); "
        "before the first one, the staff the roster puts at this window; never staff of "
        "other windows"
    )


async def window_info(info: Info[Context, None], code: str) -> WindowInfo:
    """Public: anyone who scans the window's QR code may read it."""
    refuse_nul(code)
    found = await find_window(code.strip(), now=info.context.now())
    if found is None:
        raise NotFoundError("no such window")
    return WindowInfo(
        code=found.code,
        name=found.name,
        hall_name=found.hall_name,
        department=Department(code=found.department_code, name=found.department_name),
        staff_on_duty=found.staff_on_duty,
    )
