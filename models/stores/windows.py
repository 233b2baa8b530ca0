"""Service windows as the hall's pages and pads read them: the window, who served there,
the cases completed there, and the pads paired to it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.db import connection, fetch


async def window(code: str) -> dict[str, Any] | None:
    """id, code, name, hall_name, department_id, department_code, department_name."""
    rows = await fetch(
        connection(),
        "SELECT w.id, w.code, w.name, h.name AS hall_name, d.id AS department_id, "
        "d.code AS department_code, d.name AS department_name FROM service_window w "
        "JOIN department d ON d.id = w.department_id LEFT JOIN hall h ON h.id = w.hall_id "
        "WHERE w.code = ?",
        [code],
    )
    return rows[0] if rows else None


async def window_exists(code: str) -> bool:
    rows = await fetch(connection(), "SELECT 1 AS found FROM service_window WHERE code = ?", [code])
    return bool(rows)


async def window_department(code: str) -> str | None:
    """The code of the window's department."""
    rows = await fetch(
        connection(),
        "SELECT d.code FROM service_window w JOIN department d ON d.id = w.department_id "
        "WHERE w.code = ?",
        [code],
    )
    return str(rows[0]["code"]) if rows else None


async def staff_served(window_id: int, start: datetime, end: datetime, limit: int) -> list[str]:
    """The names of the staff who completed a case at the window in [start, end)."""
    rows = await fetch(
        connection(),
        "SELECT DISTINCT s.name FROM case_record c JOIN staff s ON s.id = c.staff_id "
        "WHERE c.window_id = ? AND c.completed_at >= ? AND c.completed_at < ? "
        "ORDER BY s.name LIMIT ?",
        [window_id, start, end, limit],
    )
    return [str(r["name"]) for r in rows]


async def window_roster(window_id: int, limit: int) -> list[str]:
    """The names of the staff the hall's roster puts at the window (staff_window)."""
    rows = await fetch(
        connection(),
        "SELECT s.name FROM staff_window sw JOIN staff s ON s.id = sw.staff_id "
        "WHERE sw.window_id = ? ORDER BY s.code LIMIT ?",
        [window_id, limit],
    )
    return [str(r["name"]) for r in rows]


async def case_at_window(case_no: str, window_code: str) -> dict[str, Any] | None:
    """case_no, completed_at, rating_status of the case if it was served at the window."""
    rows = await fetch(
        connection(),
        "SELECT c.case_no, c.completed_at, c.rating_status FROM case_record c "
        "JOIN service_window w ON w.id = c.window_id WHERE c.case_no = ? AND w.code = ?",
        [case_no, window_code],
    )
    return rows[0] if rows else None


async def pair_pad(
    window_code: str, token_hash: str, paired_by: str, at: datetime, expires: datetime
) -> None:
    await fetch(
        connection(),
        "INSERT INTO pad_session (window_id, token_hash, paired_by, created_at, expires_at) "
        "SELECT id, ?, ?, ?, ? FROM service_window WHERE code = ? RETURNING id",
        [token_hash, paired_by, at, expires, window_code],
    )


async def pad_session(token_hash: str) -> dict[str, Any] | None:
    """id, expires_at, window_code, department_code of the pad paired with this token."""
    rows = await fetch(
        connection(),
        "SELECT p.id, p.expires_at, w.code AS window_code, d.code AS department_code "
        "FROM pad_session p JOIN service_window w ON w.id = p.window_id "
        "JOIN department d ON d.id = w.department_id WHERE p.token_hash = ?",
        [token_hash],
    )
    return rows[0] if rows else None


async def unrated_at_window(
    window_code: str, since: datetime, until: datetime, limit: int
) -> list[dict[str, Any]]:
    """case_no, matter_name, staff_name, completed_at of the unrated cases completed at the
    window in [since, until], oldest first (the pad's queue)."""
    return await fetch(
        connection(),
        "SELECT c.case_no, m.name AS matter_name, s.name AS staff_name, c.completed_at "
        "FROM case_record c JOIN service_window w ON w.id = c.window_id "
        "JOIN matter m ON m.id = c.matter_id LEFT JOIN staff s ON s.id = c.staff_id "
        "WHERE w.code = ? AND c.rating_status = ? AND c.completed_at >= ? "
        "AND c.completed_at <= ? ORDER BY c.completed_at, c.id LIMIT ?",
        [window_code, "UNRATED", since, until, limit],
    )
