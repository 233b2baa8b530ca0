"""Reminder calls (提醒电话): the calls a department is to make to people who have not
rated a completed case, and what came of each.

The sweep opens them (services.sweep_deadlines) and cancels the ones nobody needs any more;
here staff list the open ones and record their calls. A call is for whoever may see its
case and, for department handlers, only for the department it was opened for: the scope in
which revealContact gives the full phone while the call is open (services.callbacks). A
call holds no personal data, and every recording goes to the audit log with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models.db import as_utc, connection, fetch
from models.enums import CallOutcome, ReminderCallReason, ReminderCallStatus
from services.callbacks import LIVE_REMINDER_CALL, LIVE_REMINDER_CALL_ARGS, audit
from services.cases import visible_to
from services.identity import Principal, Role
from services.paging import check_first, decode_cursor, encode_cursor, moment, row_id, split_page
from services.vault import Vault

RECORD = "reminder_call"  # the audit log's action
# What staff may record, and whether it closes the call: a call that got no answer stays
# on the list to be tried again.
CLOSES = {
    CallOutcome.REACHED: True,
    CallOutcome.NO_ANSWER: False,
    CallOutcome.WRONG_NUMBER: True,
}

_CURSOR = "reminder_call"
CALL_REFUSALS = {
    "NOT_FOUND": "没有找到这个提醒电话，或无权查看",
    "ALREADY_CLOSED": "这个提醒电话已经结束，或办件已经评价、不再需要提醒，不能再记录",
}

# An id this service issued: a positive BIGINT, written plainly.
_ID = re.compile(r"[1-9][0-9]{0,18}")
_LARGEST_ID = 2**63 - 1


@dataclass(frozen=True)
class ReminderCallView:
    id: int
    case_no: str
    matter_name: str
    completed_at: datetime
    opened_at: datetime
    reason: ReminderCallReason
    attempts: int
    last_outcome: CallOutcome | None


@dataclass(frozen=True)
class ReminderCallPage:
    nodes: list[ReminderCallView]
    has_next_page: bool
    end_cursor: str | None


@dataclass(frozen=True)
class Recorded:
    call: ReminderCallView


@dataclass(frozen=True)
class CallRefusal:
    code: str
    message: str


_SELECT = (
    "SELECT k.id, c.id AS case_id, c.case_no, m.name AS matter_name, c.completed_at, "
    "k.opened_at, k.reason, k.attempts, k.last_outcome "
    "FROM reminder_call k JOIN case_record c ON c.id = k.case_id "
    "JOIN department d ON d.id = c.department_id JOIN matter m ON m.id = c.matter_id"
)


def _scope(viewer: Principal, vault: Vault) -> tuple[str, list[Any]]:
    """SQL condition (over `k` = reminder_call, `c` its case, `d` the case's department)
    and arguments: the calls this viewer may see."""
    scope, args = visible_to(viewer, vault)
    if viewer.role is Role.DEPT_HANDLER:
        return (
            f"{scope} AND k.department_id = (SELECT id FROM department WHERE code = ?)",  # noqa: S608
            [*args, viewer.department_code],
        )
    return scope, list(args)


async def reminder_calls(
    *, viewer: Principal, vault: Vault, first: int, after: str | None
) -> ReminderCallPage:
    """The open calls the viewer may see, oldest opened first."""
    check_first(first)
    scope, args = _scope(viewer, vault)
    where = f"{LIVE_REMINDER_CALL} AND {scope}"
    args = [*LIVE_REMINDER_CALL_ARGS, *args]
    if after:
        opened_at, call_id = decode_cursor(after, _CURSOR, moment, row_id)
        where += " AND (k.opened_at > ? OR (k.opened_at = ? AND k.id > ?))"
        args += [opened_at, opened_at, call_id]
    rows = await fetch(
        connection(),
        f"{_SELECT} WHERE {where} ORDER BY k.opened_at, k.id LIMIT ?",
        [*args, first + 1],
    )
    page, more = split_page(rows, first)
    nodes = [_view(row) for row in page]
    end = encode_cursor(_CURSOR, nodes[-1].opened_at, nodes[-1].id) if nodes else None
    return ReminderCallPage(nodes=nodes, has_next_page=more, end_cursor=end)


async def record_reminder_call(
    *, call_id: str, outcome: CallOutcome, viewer: Principal, vault: Vault, now: datetime
) -> Recorded | CallRefusal:
    """Record one call: REACHED and WRONG_NUMBER close it, NO_ANSWER leaves it open; each
    is counted as an attempt and audited in the same transaction. A call the viewer may
    not see is NOT_FOUND, as one that does not exist, so ids cannot be probed."""
    closes = CLOSES[outcome]  # a KeyError: not an outcome staff record (CANCELLED)
    number = _number(call_id)
    if number is None:
        return _refused("NOT_FOUND")
    scope, args = _scope(viewer, vault)
    async with in_transaction() as conn:
        found = await fetch(conn, f"{_SELECT} WHERE k.id = ? AND {scope}", [number, *args])
        if not found:
            return _refused("NOT_FOUND")
        attempts = await _record(conn, number, outcome, closes, now)
        if attempts is None:
            return _refused("ALREADY_CLOSED")
        await audit(
            conn,
            viewer,
            str(found[0]["case_no"]),
            int(found[0]["case_id"]),
            f"提醒电话 #{number}",
            outcome.value,
            now,
            action=RECORD,
        )
    recorded = {**found[0], "attempts": attempts, "last_outcome": outcome.value}
    return Recorded(call=_view(recorded))


async def _record(
    conn: BaseDBAsyncClient, call_id: int, outcome: CallOutcome, closes: bool, now: datetime
) -> int | None:
    """The call's attempts now, or None when it was no longer live: the check and the write
    are one statement, so two people recording at once cannot both close it (the row's own
    status is re-checked once the first has committed)."""
    status = ReminderCallStatus.CLOSED if closes else ReminderCallStatus.OPEN
    open_status, unrated = LIVE_REMINDER_CALL_ARGS
    changed = await fetch(
        conn,
        "UPDATE reminder_call SET attempts = attempts + 1, last_outcome = ?, status = ?, "
        "closed_at = ? WHERE id = ? AND status = ? "
        "AND case_id IN (SELECT id FROM case_record WHERE rating_status = ?) RETURNING attempts",
        [
            outcome.value,
            status.value,
            now.astimezone(UTC) if closes else None,
            call_id,
            open_status,
            unrated,
        ],
    )
    return int(changed[0]["attempts"]) if changed else None


def _refused(code: str) -> CallRefusal:
    return CallRefusal(code, CALL_REFUSALS[code])


def _number(call_id: str) -> int | None:
    if not _ID.fullmatch(call_id):
        return None
    number = int(call_id)
    return number if number <= _LARGEST_ID else None


def _view(row: dict[str, Any]) -> ReminderCallView:
    return ReminderCallView(
        id=int(row["id"]),
        case_no=row["case_no"],
        matter_name=row["matter_name"],
        completed_at=_at(row["completed_at"]),
        opened_at=_at(row["opened_at"]),
        reason=ReminderCallReason(row["reason"]),
        attempts=int(row["attempts"]),
        last_outcome=CallOutcome(row["last_outcome"]) if row["last_outcome"] else None,
    )


def _at(value: Any) -> datetime:
    moment = as_utc(value)
    assert moment is not None  # NOT NULL here: calls are only opened for completed cases
    return moment
