"""Evaluator pads: their device credentials (pad_session) and the short pairing codes hall
staff hand them (pad_pairing_code). Only hashes of either are stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.db import connection, execute, fetch

_SESSION = (
    "SELECT p.id, p.label, p.paired_by, p.created_at, p.expires_at, p.revoked_at, "
    "p.revoked_by, p.last_seen_at, w.code AS window_code, d.code AS department_code "
    "FROM pad_session p JOIN service_window w ON w.id = p.window_id "
    "JOIN department d ON d.id = w.department_id "
)


async def pair_pad(
    window_code: str,
    token_hash: str,
    paired_by: str,
    at: datetime,
    expires: datetime,
    label: str,
) -> int | None:
    """The new pad's id; None when there is no such window."""
    rows = await fetch(
        connection(),
        "INSERT INTO pad_session (window_id, token_hash, paired_by, created_at, expires_at, "
        "label) SELECT id, ?, ?, ?, ?, ? FROM service_window WHERE code = ? RETURNING id",
        [token_hash, paired_by, at, expires, label, window_code],
    )
    return int(rows[0]["id"]) if rows else None


async def pad_session(token_hash: str) -> dict[str, Any] | None:
    """The pad paired with this credential (see _SESSION for the columns)."""
    rows = await fetch(connection(), _SESSION + "WHERE p.token_hash = ?", [token_hash])
    return rows[0] if rows else None


async def pad_by_id(pad_id: int) -> dict[str, Any] | None:
    rows = await fetch(connection(), _SESSION + "WHERE p.id = ?", [pad_id])
    return rows[0] if rows else None


async def pads_of(window_code: str, now: datetime) -> list[dict[str, Any]]:
    """The window's pads still paired or revoked, not those whose credential ran out;
    the newest first."""
    return await fetch(
        connection(),
        _SESSION + "WHERE w.code = ? AND p.expires_at > ? ORDER BY p.created_at DESC, p.id DESC",
        [window_code, now],
    )


async def count_pads(window_code: str) -> int:
    rows = await fetch(
        connection(),
        "SELECT COUNT(*) AS n FROM pad_session p JOIN service_window w ON w.id = p.window_id "
        "WHERE w.code = ?",
        [window_code],
    )
    return int(rows[0]["n"])


async def revoke(pad_id: int, by: str, at: datetime) -> None:
    """Revoke the pad's credential (a pad revoked already keeps its first revocation)."""
    await execute(
        connection(),
        "UPDATE pad_session SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL",
        [at, by, pad_id],
    )


async def seen(pad_id: int, at: datetime, unless_since: datetime) -> None:
    """Note that the pad was seen at `at`, unless it was already seen after `unless_since`."""
    await execute(
        connection(),
        "UPDATE pad_session SET last_seen_at = ? WHERE id = ? "
        "AND (last_seen_at IS NULL OR last_seen_at < ?)",
        [at, pad_id, unless_since],
    )


async def replace_code(
    window_code: str,
    code_hash: str,
    created_by: str,
    at: datetime,
    expires: datetime,
    label: str | None,
) -> None:
    """The window's new pairing code; its earlier unused ones stop working."""
    conn = connection()
    await execute(
        conn,
        "UPDATE pad_pairing_code SET expires_at = ? WHERE used_at IS NULL AND expires_at > ? "
        "AND window_id = (SELECT id FROM service_window WHERE code = ?)",
        [at, at, window_code],
    )
    await execute(
        conn,
        "INSERT INTO pad_pairing_code (window_id, code_hash, created_by, created_at, "
        "expires_at, failed_attempts, label) SELECT id, ?, ?, ?, ?, 0, ? FROM service_window "
        "WHERE code = ?",
        [code_hash, created_by, at, expires, label, window_code],
    )


async def current_code(window_code: str) -> dict[str, Any] | None:
    """The window's latest unused pairing code: id, code_hash, created_by, expires_at,
    failed_attempts, label."""
    rows = await fetch(
        connection(),
        "SELECT c.id, c.code_hash, c.created_by, c.expires_at, c.failed_attempts, c.label "
        "FROM pad_pairing_code c JOIN service_window w ON w.id = c.window_id "
        "WHERE w.code = ? AND c.used_at IS NULL ORDER BY c.created_at DESC, c.id DESC LIMIT 1",
        [window_code],
    )
    return rows[0] if rows else None


async def count_failure(code_id: int) -> int:
    """One more wrong try at this code: the number of wrong tries now."""
    rows = await fetch(
        connection(),
        "UPDATE pad_pairing_code SET failed_attempts = failed_attempts + 1 WHERE id = ? "
        "RETURNING failed_attempts",
        [code_id],
    )
    return int(rows[0]["failed_attempts"]) if rows else 0


async def use_code(code_id: int, at: datetime, max_failures: int) -> bool:
    """Use the code up; False when it was used (or burnt) meanwhile."""
    changed = await execute(
        connection(),
        "UPDATE pad_pairing_code SET used_at = ? WHERE id = ? AND used_at IS NULL "
        "AND failed_attempts < ?",
        [at, code_id, max_failures],
    )
    return changed == 1
