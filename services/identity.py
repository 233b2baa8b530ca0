"""Who is asking: the principal every use case is given (decoded elsewhere, from a JWT)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    CITIZEN = "citizen"
    WINDOW_STAFF = "window_staff"
    DEPT_HANDLER = "dept_handler"
    HOTLINE_OPERATOR = "hotline_operator"  # 12345 hotline: enters ratings callers give by phone
    AREA_ADMIN = "area_admin"
    POLICY_STAFF = "policy_staff"
    SYSTEM = "system"


STAFF_ROLES = frozenset(
    {
        Role.WINDOW_STAFF,
        Role.DEPT_HANDLER,
        Role.HOTLINE_OPERATOR,
        Role.AREA_ADMIN,
        Role.POLICY_STAFF,
    }
)


# The identity contract's optional string claims, each a field of Principal.
IDENTITY_CLAIMS = (
    "id_number",
    "name",
    "phone",
    "staff_code",
    "department_code",
    "region_code",
    "hall_code",
)


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    id_number: str | None = None
    name: str | None = None
    phone: str | None = None
    staff_code: str | None = None
    department_code: str | None = None
    region_code: str | None = None
    hall_code: str | None = None  # hall staff: the hall whose kiosks and forms they serve
