"""The calls staff make about a case: callbacks (回访) on a bad rating's work item, reminder calls
(提醒电话) to people who have not rated, and the append-only audit log of what staff did
with them (revealing a phone, recording a call).

`department` arguments narrow to the calls opened for that department (a department
handler's own); None means any call in the scope (a region admin's)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from models.db import connection, execute, fetch
from models.enums import RatingStatus, ReminderCallStatus, WorkItemStatus
from models.stores.cases import scope_condition
from models.stores.scope import Scope

# A reminder call (over `k`, its case `c`) that is still to be made: open, and its case still
# unrated. A case rated (defaulted, expired) since the call was opened needs no reminder, so
# its call gives nobody the phone, even before the next sweep closes it.
_LIVE_CALL = "k.status = ? AND c.rating_status = ?"
_LIVE_CALL_ARGS = (ReminderCallStatus.OPEN.value, RatingStatus.UNRATED.value)
_OF_DEPARTMENT = " AND k.department_id = (SELECT id FROM department WHERE code = ?)"


async def case_contact(
    conn: BaseDBAsyncClient, case_no: str, scope: Scope
) -> dict[str, Any] | None:
    """id, phone_enc, key_id and `visible` (1 when the case is in `scope`) of the case,
    found whoever asks, so that an attempt on a case out of scope is audited against it."""
    condition, args = scope_condition(scope)
    rows = await fetch(
        conn,
        f"SELECT c.id, a.phone_enc, a.key_id, CASE WHEN {condition} THEN 1 ELSE 0 END AS visible "  # noqa: S608
        "FROM case_record c JOIN department d ON d.id = c.department_id "
        "JOIN applicant a ON a.id = c.applicant_id WHERE c.case_no = ?",
        [*args, case_no],
    )
    return rows[0] if rows else None


async def call_open(conn: BaseDBAsyncClient, case_id: int, department: str | None) -> bool:
    """An open callback or a live reminder call on the case (for `department`)."""
    mine = _OF_DEPARTMENT if department is not None else ""
    mine_args = [department] if department is not None else []
    rows = await fetch(
        conn,
        f"SELECT 1 AS open FROM work_item k WHERE k.case_id = ? AND k.status = ?{mine} "  # noqa: S608
        "UNION ALL SELECT 1 FROM reminder_call k JOIN case_record c ON c.id = k.case_id "
        f"WHERE k.case_id = ? AND {_LIVE_CALL}{mine}",
        [case_id, WorkItemStatus.OPEN.value, *mine_args, case_id, *_LIVE_CALL_ARGS, *mine_args],
    )
    return bool(rows)


_AUDIT_COLUMNS = (
    "at",
    "action",
    "outcome",
    "actor_role",
    "actor_subject",
    "actor_department_code",
    "actor_region_code",
    "case_id",
    "case_no",
    "reason",
)


async def write_audit(conn: BaseDBAsyncClient, entry: dict[str, Any]) -> None:
    """One row of the audit log (`entry` has every audit column), in the caller's
    transaction."""
    await execute(
        conn,
        f"INSERT INTO audit_log ({', '.join(_AUDIT_COLUMNS)}) "  # noqa: S608
        f"VALUES ({', '.join('?' * len(_AUDIT_COLUMNS))})",
        [entry[column] for column in _AUDIT_COLUMNS],
    )


async def audit_page(
    scope: Scope, region_code: str | None, before_id: int | None, limit: int
) -> list[dict[str, Any]]:
    """Audit entries about the cases in `scope`, and those on case numbers that match no
    case by actors of `region_code`, newest first, before `before_id`."""
    condition, args = scope_condition(scope)
    where = (
        f"(l.case_id IN (SELECT c.id FROM case_record c JOIN department d "  # noqa: S608
        f"ON d.id = c.department_id WHERE {condition}) "
        "OR (l.case_id IS NULL AND l.actor_region_code = ?))"
    )
    args = [*args, region_code]
    if before_id is not None:
        where += " AND l.id < ?"
        args.append(before_id)
    return await fetch(
        connection(),
        "SELECT l.id, l.at, l.action, l.outcome, l.actor_role, l.actor_subject, "  # noqa: S608
        f"l.actor_department_code, l.case_no, l.reason FROM audit_log l WHERE {where} "
        "ORDER BY l.id DESC LIMIT ?",
        [*args, limit],
    )


_CALLS = (
    "SELECT k.id, c.id AS case_id, c.case_no, m.name AS matter_name, c.completed_at, "
    "k.opened_at, k.reason, k.attempts, k.last_outcome "
    "FROM reminder_call k JOIN case_record c ON c.id = k.case_id "
    "JOIN department d ON d.id = c.department_id JOIN matter m ON m.id = c.matter_id"
)


def _calls_in(scope: Scope, department: str | None) -> tuple[str, list[Any]]:
    condition, args = scope_condition(scope)
    if department is not None:
        return condition + _OF_DEPARTMENT, [*args, department]
    return condition, args


async def live_calls(
    scope: Scope, department: str | None, after: tuple[datetime, int] | None, limit: int
) -> list[dict[str, Any]]:
    """The live reminder calls in scope, oldest opened first, after the keyset `after`
    (opened_at, id)."""
    condition, args = _calls_in(scope, department)
    where = f"{_LIVE_CALL} AND {condition}"
    args = [*_LIVE_CALL_ARGS, *args]
    if after is not None:
        opened_at, call_id = after
        where += " AND (k.opened_at > ? OR (k.opened_at = ? AND k.id > ?))"
        args += [opened_at, opened_at, call_id]
    return await fetch(
        connection(),
        f"{_CALLS} WHERE {where} ORDER BY k.opened_at, k.id LIMIT ?",
        [*args, limit],
    )


async def call_in_scope(
    conn: BaseDBAsyncClient, call_id: int, scope: Scope, department: str | None
) -> dict[str, Any] | None:
    condition, args = _calls_in(scope, department)
    rows = await fetch(conn, f"{_CALLS} WHERE k.id = ? AND {condition}", [call_id, *args])
    return rows[0] if rows else None


async def record_call(
    conn: BaseDBAsyncClient, call_id: int, outcome: str, closes: bool, at: datetime
) -> int | None:
    """The call's attempts after this one, or None when it was no longer live: the check
    and the write are one statement, so two people recording at once cannot both close it
    (the row's own status is re-checked once the first has committed)."""
    status = ReminderCallStatus.CLOSED if closes else ReminderCallStatus.OPEN
    changed = await fetch(
        conn,
        "UPDATE reminder_call SET attempts = attempts + 1, last_outcome = ?, status = ?, "
        "closed_at = ? WHERE id = ? AND status = ? "
        "AND case_id IN (SELECT id FROM case_record WHERE rating_status = ?) RETURNING attempts",
        [outcome, status.value, at if closes else None, call_id, *_LIVE_CALL_ARGS],
    )
    return int(changed[0]["attempts"]) if changed else None
