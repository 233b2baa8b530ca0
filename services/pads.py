"""Evaluator pads: hall staff pair a tablet to a window; the pad then rates, without the
citizen signing in, only cases just completed at that window.

Pairing: staff get a short single-use code for the window (typed on the pad, or in the QR
code's link), the pad claims it and receives a long-lived device credential, which staff
can revoke at once. The limits below are the pairing's security, not rating policy: a
six-digit code lives ten minutes and is burnt after five wrong tries, and wrong tries at a
window are counted over an hour across codes, so guessing stays hopeless."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from models.db import as_utc
from models.stores import pads as store
from models.stores import windows as window_store
from services.abuse import Counters
from services.identity import Principal, Role
from services.vault import Vault

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
MAX_WRONG_TRIES = 5  # wrong tries at one code before it is burnt
WINDOW_TRIES = 30  # claims at one window within WINDOW_TRIES_SECONDS
WINDOW_TRIES_SECONDS = 3600
SEEN_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often

INVALID = "PAIRING_CODE_INVALID"
EXPIRED = "PAIRING_CODE_EXPIRED"
RATE_LIMITED = "PAIRING_RATE_LIMITED"


@dataclass(frozen=True)
class PadPairing:
    token: str
    window_code: str
    expires_at: datetime


@dataclass(frozen=True)
class PairingCode:
    window_code: str
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class ClaimRefused:
    code: str


@dataclass(frozen=True)
class PadBinding:
    session_id: int
    window_code: str
    department_code: str


@dataclass(frozen=True)
class PadDevice:
    id: int
    window_code: str
    label: str
    paired_at: datetime
    paired_by: str
    last_seen_at: datetime | None
    revoked_at: datetime | None


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


def _code_hash(vault: Vault, window_code: str, code: str) -> str:
    """Keyed with the data key: a copy of the database alone cannot try the million codes."""
    return vault.lookup_hash(f"pad pairing\n{window_code}\n{code}")


window_department = window_store.window_department


async def _authorise(window_code: str, staff: Principal) -> None:
    """Pads of a window are handled by its own department's window staff and handlers."""
    department = await window_department(window_code)
    allowed = staff.role in (Role.WINDOW_STAFF, Role.DEPT_HANDLER)
    if department is None or not allowed or staff.department_code != department:
        raise PairingRefusedError("pads are paired by staff of the window's own department")


def _staff_code(staff: Principal) -> str:
    return staff.staff_code or staff.subject


async def _new_credential(
    window_code: str, paired_by: str, label: str | None, now: datetime, lifetime: timedelta
) -> PadPairing:
    token = secrets.token_urlsafe(32)
    at = now.astimezone(UTC)
    expires = at + lifetime
    named = label or f"{window_code} 评价器 {await store.count_pads(window_code) + 1}"
    await store.pair_pad(window_code, _hash(token), paired_by, at, expires, named)
    return PadPairing(token=token, window_code=window_code, expires_at=expires)


async def pair_pad(
    *, window_code: str, staff: Principal, now: datetime, lifetime: timedelta
) -> PadPairing:
    """A device credential handed to staff at once (the API's `pairPad`)."""
    await _authorise(window_code, staff)
    return await _new_credential(window_code, _staff_code(staff), None, now, lifetime)


async def create_pairing_code(
    *, window_code: str, staff: Principal, label: str | None, vault: Vault, now: datetime
) -> PairingCode:
    """A new single-use code for the window; the window's earlier unused code stops working."""
    await _authorise(window_code, staff)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    at = now.astimezone(UTC)
    expires = at + CODE_LIFETIME
    await store.replace_code(
        window_code, _code_hash(vault, window_code, code), _staff_code(staff), at, expires, label
    )
    return PairingCode(window_code=window_code, code=code, expires_at=expires)


async def claim_pairing(
    *,
    window_code: str,
    code: str,
    counters: Counters,
    vault: Vault,
    now: datetime,
    lifetime: timedelta,
) -> PadPairing | ClaimRefused:
    """The pad's credential for a right code, once; a refusal with its code otherwise."""
    at = now.astimezone(UTC)
    bucket = int(at.timestamp()) // WINDOW_TRIES_SECONDS
    key = f"hcp:pad_pairing:{window_code}:{bucket}"
    [tries], _ = await counters.count([(key, WINDOW_TRIES_SECONDS)])
    if tries > WINDOW_TRIES:
        return ClaimRefused(RATE_LIMITED)
    current = await store.current_code(window_code)
    if current is None:
        return ClaimRefused(INVALID)
    if int(current["failed_attempts"]) >= MAX_WRONG_TRIES:
        return ClaimRefused(RATE_LIMITED)
    expires = as_utc(current["expires_at"])
    expired = expires is None or expires <= at
    if not hmac.compare_digest(current["code_hash"], _code_hash(vault, window_code, code)):
        if not expired:
            await store.count_failure(int(current["id"]))
        return ClaimRefused(INVALID)
    if expired:
        return ClaimRefused(EXPIRED)
    if not await store.use_code(int(current["id"]), at, MAX_WRONG_TRIES):
        return ClaimRefused(INVALID)
    await counters.release([key])  # a pairing that worked uses up no window's allowance
    return await _new_credential(
        window_code, str(current["created_by"]), current["label"], now, lifetime
    )


async def pad_binding(token: str, now: datetime) -> PadBinding | None:
    """The window a pad's credential is paired to, while it lasts and is not revoked."""
    row = await store.pad_session(_hash(token))
    if row is None or row["revoked_at"] is not None:
        return None
    at = now.astimezone(UTC)
    expires = as_utc(row["expires_at"])
    if expires is None or expires <= at:
        return None
    seen = as_utc(row["last_seen_at"])
    if seen is None or seen < at - SEEN_EVERY:
        await store.seen(int(row["id"]), at, at - SEEN_EVERY)
    return PadBinding(int(row["id"]), row["window_code"], row["department_code"])


def _device(row: dict[str, Any]) -> PadDevice:
    paired_at = as_utc(row["created_at"])
    assert paired_at is not None
    return PadDevice(
        id=int(row["id"]),
        window_code=str(row["window_code"]),
        label=str(row["label"] or ""),
        paired_at=paired_at,
        paired_by=str(row["paired_by"]),
        last_seen_at=as_utc(row["last_seen_at"]),
        revoked_at=as_utc(row["revoked_at"]),
    )


async def pads_of(*, window_code: str, staff: Principal, now: datetime) -> list[PadDevice]:
    """The window's pads, paired or revoked (those whose credential ran out are gone)."""
    await _authorise(window_code, staff)
    return [_device(row) for row in await store.pads_of(window_code, now.astimezone(UTC))]


async def revoke_pad(*, pad_id: int, staff: Principal, now: datetime) -> PadDevice | None:
    """Revoke the pad's credential at once; None when there is no such pad."""
    row = await store.pad_by_id(pad_id)
    if row is None:
        return None
    await _authorise(str(row["window_code"]), staff)
    await store.revoke(pad_id, _staff_code(staff), now.astimezone(UTC))
    revoked = await store.pad_by_id(pad_id)
    assert revoked is not None
    return _device(revoked)
