"""Evaluator pads: hall staff pair a tablet to a window; the pad then rates, without the
citizen signing in, only cases just completed at that window."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from models.db import as_utc, connection, fetch
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


async def window_department(window_code: str) -> str | None:
    rows = await fetch(
        connection(),
        "SELECT d.code FROM service_window w JOIN department d ON d.id = w.department_id "
        "WHERE w.code = ?",
        [window_code],
    )
    return str(rows[0]["code"]) if rows else None


async def pair_pad(
    *, window_code: str, staff: Principal, now: datetime, lifetime: timedelta
) -> PadPairing:
    department = await window_department(window_code)
    allowed = staff.role in (Role.WINDOW_STAFF, Role.DEPT_HANDLER)
    if department is None or not allowed or staff.department_code != department:
        raise PairingRefusedError("pads are paired by staff of the window's own department")
    token = secrets.token_urlsafe(32)
    expires = now.astimezone(UTC) + lifetime
    await fetch(
        connection(),
        "INSERT INTO pad_session (window_id, token_hash, paired_by, created_at, expires_at) "
        "SELECT id, ?, ?, ?, ? FROM service_window WHERE code = ? RETURNING id",
        [
            _hash(token),
            staff.staff_code or staff.subject,
            now.astimezone(UTC),
            expires,
            window_code,
        ],
    )
    return PadPairing(token=token, window_code=window_code, expires_at=expires)


async def pad_binding(token: str, now: datetime) -> PadBinding | None:
    """The window a pad token is paired to, while the pairing lasts."""
    rows = await fetch(
        connection(),
        "SELECT p.id, p.expires_at, w.code AS window_code, d.code AS department_code "
        "FROM pad_session p JOIN service_window w ON w.id = p.window_id "
        "JOIN department d ON d.id = w.department_id WHERE p.token_hash = ?",
        [_hash(token)],
    )
    if not rows:
        return None
    expires = as_utc(rows[0]["expires_at"])
    if expires is None or expires <= now.astimezone(UTC):
        return None
    return PadBinding(int(rows[0]["id"]), rows[0]["window_code"], rows[0]["department_code"])
