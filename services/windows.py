"""Windows as the public sees them (the poster, the scan page), and the cases a window's pad
may show.

Nothing here is personal: a window's name, its hall and department, and the names of the
staff serving there (shown on the window's badge anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from models.db import as_utc
from models.enums import RatingStatus
from models.stores import windows as store
from rules import BUSINESS_TZ
from services.pads import pad_may_rate

MAX_STAFF_SHOWN = 6
# More than a pad's screen can show as waiting; a hall never completes this many at one
# window within the pad's rating window, so the bound only protects the query.
PAD_QUEUE_LIMIT = 20


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


@dataclass(frozen=True)
class PadQueueItem:
    case_no: str
    matter_name: str
    staff_name: str | None
    completed_at: datetime
    rate_by: datetime


async def find_window(code: str, *, now: datetime) -> WindowView | None:
    """The window with its department and the staff on duty, or None.

    Staff on duty: whoever completed a case at this window today (business day); before the
    first case of the day, the window's own roster (staff_window). Never the rest of the
    department: its staff at other windows are not serving here."""
    row = await store.window(code)
    if row is None:
        return None
    window_id = int(row["id"])
    staff = await _served_today(window_id, now) or await store.window_roster(
        window_id, MAX_STAFF_SHOWN
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
    end = start + timedelta(days=1)
    return await store.staff_served(
        window_id, start.astimezone(UTC), end.astimezone(UTC), MAX_STAFF_SHOWN
    )


window_exists = store.window_exists


async def pad_case(
    case_no: str, *, window_code: str, now: datetime, within: timedelta
) -> WindowCase | None:
    """The case if the window's pad may rate it now: completed at that window no longer
    than `within` ago (the same bound submitRating applies to pads), else None."""
    row = await store.case_at_window(case_no, window_code)
    completed = as_utc(row["completed_at"]) if row else None
    may = pad_may_rate(
        case_window=window_code if row else None,
        completed_at=completed,
        pad_window=window_code,
        within=within,
        now=now,
    )
    if not may or completed is None or row is None:
        return None
    return WindowCase(row["case_no"], completed, RatingStatus(row["rating_status"]))


async def pad_queue(*, window_code: str, now: datetime, within: timedelta) -> list[PadQueueItem]:
    """The cases the window's pad may still offer, oldest first: completed at the window
    no longer than `within` ago (HCP_PAD_RATING_MINUTES) and not rated yet."""
    now = now.astimezone(UTC)
    rows = await store.unrated_at_window(window_code, now - within, now, PAD_QUEUE_LIMIT)
    items = []
    for row in rows:
        completed = as_utc(row["completed_at"])
        assert completed is not None  # the query keeps completed cases only
        items.append(
            PadQueueItem(
                case_no=row["case_no"],
                matter_name=row["matter_name"],
                staff_name=row["staff_name"],
                completed_at=completed,
                rate_by=completed + within,
            )
        )
    return items
