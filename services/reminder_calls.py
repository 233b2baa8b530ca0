"""Reminder calls (提醒电话): the calls a department is to make to people who have not
rated a completed case, and what came of each.

The sweep opens them (services.sweep_deadlines) and cancels the ones nobody needs any more;
here staff list the open ones and record their calls. A call is for whoever may see its
case and, for department handlers, only for the department it was opened for: the scope in
which revealContact gives the full phone while the call is open (services.callbacks). A
call holds no personal data, and every recording goes to the audit log with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from models.db import as_utc
from models.enums import CallOutcome, ReminderCallReason
from models.stores import calls as store
from services.callbacks import audit, own_department
from services.cases import visible_to
from services.identity import Principal
from services.paging import (
    check_first,
    decode_cursor,
    encode_cursor,
    moment,
    parse_id,
    row_id,
    split_page,
)
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


async def reminder_calls(
    *, viewer: Principal, vault: Vault, first: int, after: str | None
) -> ReminderCallPage:
    """The open calls the viewer may see, oldest opened first."""
    check_first(first)
    keyset = decode_cursor(after, _CURSOR, moment, row_id) if after else None
    rows = await store.live_calls(
        visible_to(viewer, vault), own_department(viewer), keyset, first + 1
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
    number = parse_id(call_id)
    if number is None:
        return _refused("NOT_FOUND")
    scope = visible_to(viewer, vault)
    async with in_transaction() as conn:
        found = await store.call_in_scope(conn, number, scope, own_department(viewer))
        if found is None:
            return _refused("NOT_FOUND")
        attempts = await store.record_call(conn, number, outcome.value, closes, now.astimezone(UTC))
        if attempts is None:
            return _refused("ALREADY_CLOSED")
        await audit(
            conn,
            viewer,
            str(found["case_no"]),
            int(found["case_id"]),
            f"提醒电话 #{number}",
            outcome.value,
            now,
            action=RECORD,
        )
    recorded = {**found, "attempts": attempts, "last_outcome": outcome.value}
    return Recorded(call=_view(recorded))


def _refused(code: str) -> CallRefusal:
    return CallRefusal(code, CALL_REFUSALS[code])


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
