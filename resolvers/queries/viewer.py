"""`viewer`: who the API thinks the caller is (clients use it to pick their screens)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.core.context import Context


@strawberry.type(description="The signed-in principal")
class Viewer:
    subject: str
    role: str
    department_code: str | None
    region_code: str | None


def viewer(info: Info[Context, None]) -> Viewer | None:
    principal = info.context.principal()
    if principal is None:
        return None
    return Viewer(
        subject=principal.subject,
        role=principal.role.value,
        department_code=principal.department_code,
        region_code=principal.region_code,
    )
