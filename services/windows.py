"""Windows as the public sees them (the poster, the scan page), and the cases a window's pad
may show.

Nothing here is personal: a window's name, its hall and department, and the names of the
staff serving there (shown on the window's badge anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from models.db import as_utc, connection, fetch
from models.enums import RatingStatus
from rules import BUSINESS_TZ
from services.pads import pad_may_rate

MAX_STAFF_SHOWN = 6


@dataclass(frozen=True)
class WindowView:
    code: str
    name: str
    hall_name: str | None
    department_code: str
    department_name: str
    staff_on_duty: list[str]


@dataclass(frozen=True)
class WindowCase:
    case_no: str
    completed_at: datetime
    rating_status: RatingStatus


async def find_window(code: str, *, now: datetime) -> WindowView | None:
    """The window with its department and the staff on duty, or None.

    Staff on duty: whoever completed a case at this window today (business day); before the
    first case of the day, the staff of the window's department, as the hall's roster
    would list them."""
    rows = await fetch(
        connection(),
        "SELECT w.id, w.code, w.name, h.name AS hall_name, d.id AS department_id, "
        "d.code AS department_code, d.name AS department_name FROM service_window w "
        "JOIN department d ON d.id = w.department_id LEFT JOIN hall h ON h.id = w.hall_id "
        "WHERE w.code = ?",
        [code],
    )
    if not rows:
        return None
    row = rows[0]
    staff = await _served_today(int(row["id"]), now) or await _department_staff(
        int(row["department_id"])
    )
    return WindowView(
        code=row["code"],
        name=row["name"],
        hall_name=row["hall_name"],
        department_code=row["department_code"],
        department_name=row["department_name"],
        staff_on_duty=staff,
    )


async def _served_today(window_id: int, now: datetime) -> list[str]:
    local = now.astimezone(BUSINESS_TZ)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = await fetch(
        connection(),
        "SELECT DISTINCT s.name FROM case_record c JOIN staff s ON s.id = c.staff_id "
        "WHERE c.window_id = ? AND c.completed_at >= ? AND c.completed_at < ? "
        "ORDER BY s.name LIMIT ?",
        [
            window_id,
            start.astimezone(UTC),
            (start + timedelta(days=1)).astimezone(UTC),
            MAX_STAFF_SHOWN,
        ],
    )
    return [str(r["name"]) for r in rows]


async def _department_staff(department_id: int) -> list[str]:
    rows = await fetch(
        connection(),
        "SELECT name FROM staff WHERE department_id = ? ORDER BY code LIMIT ?",
        [department_id, MAX_STAFF_SHOWN],
    )
    return [str(r["name"]) for r in rows]


async def window_exists(code: str) -> bool:
    rows = await fetch(connection(), "SELECT 1 AS found FROM service_window WHERE code = ?", [code])
    return bool(rows)


async def pad_case(
    case_no: str, *, window_code: str, now: datetime, within: timedelta
) -> WindowCase | None:
    """The case if the window's pad may rate it now: completed at that window no longer
    than `within` ago (the same bound submitRating applies to pads), else None."""
    rows = await fetch(
        connection(),
        "SELECT c.case_no, c.completed_at, c.rating_status FROM case_record c "
        "JOIN service_window w ON w.id = c.window_id WHERE c.case_no = ? AND w.code = ?",
        [case_no, window_code],
    )
    completed = as_utc(rows[0]["completed_at"]) if rows else None
    may = pad_may_rate(
        case_window=window_code if rows else None,
        completed_at=completed,
        pad_window=window_code,
        within=within,
        now=now,
    )
    if not may or completed is None:
        return None
    return WindowCase(rows[0]["case_no"], completed, RatingStatus(rows[0]["rating_status"]))
