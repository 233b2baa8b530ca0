"""Evaluator pads: hall staff pair a tablet to a window; the pad then rates, without the
citizen signing in, only cases just completed at that window."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from models.db import as_utc
from models.stores import windows as store
from services.identity import Principal, Role


@dataclass(frozen=True)
class PadPairing:
    token: str
    window_code: str
    expires_at: datetime


@dataclass(frozen=True)
class PadBinding:
    session_id: int
    window_code: str
    department_code: str


def pad_may_rate(
    *,
    case_window: str | None,
    completed_at: datetime | None,
    pad_window: str | None,
    within: timedelta,
    now: datetime,
) -> bool:
    """A pad rates (and shows the form of) only cases completed at its own window, and
    only within `within` of completion (HCP_PAD_RATING_MINUTES)."""
    if completed_at is None or case_window is None or case_window != pad_window:
        return False
    return completed_at <= now <= completed_at + within


class PairingRefusedError(Exception):
    """The staff member may not pair a pad to this window (or it does not exist)."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


window_department = store.window_department


async def pair_pad(
    *, window_code: str, staff: Principal, now: datetime, lifetime: timedelta
) -> PadPairing:
    department = await window_department(window_code)
    allowed = staff.role in (Role.WINDOW_STAFF, Role.DEPT_HANDLER)
    if department is None or not allowed or staff.department_code != department:
        raise PairingRefusedError("pads are paired by staff of the window's own department")
    token = secrets.token_urlsafe(32)
    expires = now.astimezone(UTC) + lifetime
    await store.pair_pad(
        window_code, _hash(token), staff.staff_code or staff.subject, now.astimezone(UTC), expires
    )
    return PadPairing(token=token, window_code=window_code, expires_at=expires)


async def pad_binding(token: str, now: datetime) -> PadBinding | None:
    """The window a pad token is paired to, while the pairing lasts."""
    row = await store.pad_session(_hash(token))
    if row is None:
        return None
    expires = as_utc(row["expires_at"])
    if expires is None or expires <= now.astimezone(UTC):
        return None
    return PadBinding(int(row["id"]), row["window_code"], row["department_code"])
