"""Work items of the bad-rating loop (差评工单) and their append-only timeline.

A step is changed by one UPDATE guarded by the step it leaves (`advance`): of two people
acting on one item at once, the second finds the step gone and changes nothing (PostgreSQL
re-checks the row's condition once the first has committed; SQLite writes one at a time)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from models.db import as_utc, connection, dialect, execute, fetch, row_source
from models.enums import WorkItemCloseReason, WorkItemStatus
from models.stores.scope import SUB_REGIONS, Reach, Scope

_OPEN, _CLOSED = WorkItemStatus.OPEN.value, WorkItemStatus.CLOSED.value
# The due time of a step with no deadline: due_at is never null, so that the worklists page
# by (due_at, id) on an index and list such items last; read back as None.
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)
# Set once, by the first move that confirms the bad rating (arguments: confirms, at).
_CONFIRMED = "confirmed_at = CASE WHEN ? THEN COALESCE(confirmed_at, ?) ELSE confirmed_at END"
_ADVANCE = (
    "UPDATE work_item SET step = ?, step_started_at = ?, due_at = ?, overdue = FALSE, "  # noqa: S608 - constants
    "status = ?, closed_at = ?, close_reason = ?, "
    + _CONFIRMED
    + " WHERE id = ? AND status = ? AND step = ? RETURNING id"
)

# The cases of a rating act (`act_id`) whose work item must change: a bad effective rating
# with no open item, an open item whose case's rating is no longer bad, or an open item
# whose bad rating was replaced (by another bad one, or by the rater's follow-up rating).
# From the act's own ratings (index on act_id), like every rating-path query (models.db).
_SETTLING = (
    "SELECT c.id AS case_id, c.department_id, c.region_id, c.staff_id, e.id AS rating_id, "
    "CASE WHEN e.category = ? THEN 1 ELSE 0 END AS bad, w.id AS item_id, w.step, "
    "w.rating_id AS item_rating_id FROM rating n JOIN case_record c ON c.id = n.case_id "
    "JOIN rating e ON e.id = c.effective_rating_id "
    "LEFT JOIN work_item w ON w.case_id = c.id AND w.status = ? "
    "WHERE n.act_id = ? AND CASE WHEN w.id IS NULL THEN e.category = ? "
    "ELSE e.category <> ? OR w.rating_id <> e.id END"
)

_VIEW = (
    "SELECT w.id, w.status, w.step, w.step_started_at, w.due_at, w.overdue, w.escalated, "
    "w.opened_at, w.closed_at, w.close_reason, w.rating_id, w.rated_staff_id, c.case_no, "
    "m.name AS matter_name, d.code AS department_code, d.name AS department_name, "
    "g.code AS region_code, s.code AS rated_staff_code, s.name AS rated_staff_name, "
    "e.level, e.category, e.tags, e.comment, e.rated_at, e.appeal_upheld "
    "FROM work_item w JOIN case_record c ON c.id = w.case_id "
    "JOIN matter m ON m.id = c.matter_id JOIN department d ON d.id = w.department_id "
    "LEFT JOIN region g ON g.id = w.region_id LEFT JOIN staff s ON s.id = w.rated_staff_id "
    "JOIN rating e ON e.id = w.rating_id"
)
_EVENT_COLUMNS = (
    "work_item_id",
    "at",
    "actor_role",
    "actor_subject",
    "action",
    "step",
    "outcome",
    "note",
    "evidence_ids",
)
_EVENT_TYPES = ("bigint", "timestamptz", "text", "text", "text", "text", "text", "text", "text")


@dataclass(frozen=True)
class Event:
    """One line of an item's timeline, as written."""

    actor_role: str
    actor_subject: str
    action: str
    step: str | None = None
    outcome: str | None = None
    note: str | None = None
    evidence_ids: tuple[int, ...] = ()

    def row(self, item_id: int, at: datetime) -> list[Any]:
        evidence = json.dumps(list(self.evidence_ids)) if self.evidence_ids else None
        return [
            item_id,
            at,
            self.actor_role,
            self.actor_subject[:100],
            self.action,
            self.step,
            self.outcome,
            self.note,
            evidence,
        ]


@dataclass(frozen=True)
class Filter:
    case_no: str | None = None
    step: str | None = None
    status: str | None = None
    overdue: bool | None = None
    department_code: str | None = None
    region_code: str | None = None
    opened_from: datetime | None = None
    opened_to: datetime | None = None


def scope_condition(scope: Scope) -> tuple[str, list[Any]]:
    """SQL condition over `w` = work_item for the items a viewer may see."""
    match scope.reach:
        case Reach.ALL:
            return "1 = 1", []
        case Reach.DEPARTMENT:
            return "w.department_id = (SELECT id FROM department WHERE code = ?)", [scope.value]
        case Reach.REGION:
            return f"w.region_id IN {SUB_REGIONS}", [scope.value]
    return "1 = 0", []


async def settling(conn: BaseDBAsyncClient, act_id: str, bad_category: str) -> list[dict[str, Any]]:
    """The cases of the act whose work item must open, close or follow a new rating."""
    args = [bad_category, _OPEN, act_id, bad_category, bad_category]
    return await fetch(conn, _SETTLING, args)


async def open_items(
    conn: BaseDBAsyncClient,
    cases: list[dict[str, Any]],
    step: str | None,
    due_at: datetime | None,
    at: datetime,
    event: Event,
) -> None:
    """A work item at `step` for each of `cases` (rows of `settling`), with its first event."""
    rows = [
        [c["case_id"], c["department_id"], c["region_id"], c["rating_id"], c["staff_id"]]
        for c in cases
    ]
    types = ("bigint", "bigint", "bigint", "bigint", "bigint")
    source, args = row_source(conn, types, rows)
    opened = await fetch(
        conn,
        "INSERT INTO work_item (case_id, department_id, region_id, rating_id, rated_staff_id, "  # noqa: S608
        "status, step, step_started_at, due_at, overdue, escalated, opened_at) "
        f"SELECT s.*, ?, ?, ?, ?, FALSE, FALSE, ? FROM ({source}) s RETURNING id",
        [_OPEN, step, at, due_at or NO_DEADLINE, at, *args],
    )
    await add_events(conn, [int(r["id"]) for r in opened], at, event)


async def advance(
    conn: BaseDBAsyncClient,
    item_id: int,
    from_step: str,
    to_step: str | None,
    due_at: datetime | None,
    at: datetime,
    reason: WorkItemCloseReason | None = None,
    *,
    confirms: bool = False,
) -> bool:
    """Move the open item from `from_step` to `to_step` (None: close it for `reason`);
    `confirms`: the move confirms the bad rating (see WorkItem.confirmed_at).
    False, and nothing written, when the item is no longer open at `from_step`."""
    status = _OPEN if to_step is not None else _CLOSED
    closed_at = None if to_step is not None else at
    rows = await fetch(
        conn,
        _ADVANCE,
        [
            to_step,
            at,
            due_at or NO_DEADLINE,
            status,
            closed_at,
            reason and reason.value,
            confirms,
            at,
            item_id,
            _OPEN,
            from_step,
        ],
    )
    return bool(rows)


async def follow_rating(conn: BaseDBAsyncClient, item_id: int, rating_id: int) -> None:
    """The open item is about the case's new (still bad) effective rating now."""
    await execute(conn, "UPDATE work_item SET rating_id = ? WHERE id = ?", [rating_id, item_id])


async def add_events(
    conn: BaseDBAsyncClient, item_ids: list[int], at: datetime, event: Event
) -> None:
    if not item_ids:
        return
    source, args = row_source(conn, _EVENT_TYPES, [event.row(i, at) for i in item_ids])
    await execute(
        conn,
        f"INSERT INTO work_item_event ({', '.join(_EVENT_COLUMNS)}) {source}",
        args,
    )


async def item(conn: BaseDBAsyncClient | None, item_id: int, scope: Scope) -> dict[str, Any] | None:
    """The item with its case and rating, when `scope` may see it."""
    condition, args = scope_condition(scope)
    rows = await fetch(
        conn or connection(), f"{_VIEW} WHERE w.id = ? AND {condition}", [item_id, *args]
    )
    return _deadlines(rows)[0] if rows else None


async def visible(item_id: int, scope: Scope) -> bool:
    condition, args = scope_condition(scope)
    rows = await fetch(
        connection(),
        f"SELECT 1 AS ok FROM work_item w WHERE w.id = ? AND {condition}",  # noqa: S608
        [item_id, *args],
    )
    return bool(rows)


async def timeline(item_id: int) -> list[dict[str, Any]]:
    return await fetch(
        connection(),
        f"SELECT id, {', '.join(_EVENT_COLUMNS[1:])} FROM work_item_event "  # noqa: S608
        "WHERE work_item_id = ? ORDER BY id",
        [item_id],
    )


def _deadlines(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """NO_DEADLINE read back as None."""
    for row in rows:
        due = as_utc(row["due_at"])
        row["due_at"] = None if due is None or due.year == NO_DEADLINE.year else due
    return rows


def _filtered(where: list[str], args: list[Any], chosen: Filter) -> None:
    # The status as a literal (one of two values of our enum): the open worklists' indexes
    # are partial, and a planner uses one only when the query's condition is the index's.
    if chosen.status is not None:
        where.append("w.status = 'OPEN'" if chosen.status == _OPEN else "w.status = 'CLOSED'")
    plain = (
        ("w.case_id = (SELECT id FROM case_record WHERE case_no = ?)", chosen.case_no),
        ("w.step = ?", chosen.step),
        ("w.overdue = ?", chosen.overdue),
        ("w.department_id = (SELECT id FROM department WHERE code = ?)", chosen.department_code),
        (f"w.region_id IN {SUB_REGIONS}", chosen.region_code),
        ("w.opened_at >= ?", chosen.opened_from),
        ("w.opened_at < ?", chosen.opened_to),
    )
    for condition, value in plain:
        if value is not None:
            where.append(condition)
            args.append(value)


async def page(
    scope: Scope, chosen: Filter, after: tuple[datetime | None, int] | None, limit: int
) -> list[dict[str, Any]]:
    """Items in `scope` matching `chosen`, the soonest due first (so the overdue ones lead),
    those with no due time last, after the keyset `after` (due_at, id; None: no due time)."""
    condition, args = scope_condition(scope)
    where = [condition]
    _filtered(where, args, chosen)
    if after is not None:
        due, last_id = after
        where.append("(w.due_at, w.id) > (?, ?)")
        args += [due or NO_DEADLINE, last_id]
    rows = await fetch(
        connection(),
        f"{_VIEW} WHERE {' AND '.join(where)} ORDER BY w.due_at, w.id LIMIT ?",
        [*args, limit],
    )
    return _deadlines(rows)


async def set_rating_upheld(conn: BaseDBAsyncClient, rating_id: int, effect: str) -> None:
    """What an upheld appeal makes of the rating (the policy's `appeal_upheld`)."""
    await execute(conn, "UPDATE rating SET appeal_upheld = ? WHERE id = ?", [effect, rating_id])


@dataclass(frozen=True)
class Passed:
    """What the overdue sweep does to the open items at `step` due before `before`: mark
    them overdue (and escalated), or move them on (`to_step`, or closed for `reason`)."""

    step: str
    before: datetime
    event: Event
    escalate: bool = False
    moves: bool = False
    to_step: str | None = None
    due_at: datetime | None = None
    reason: WorkItemCloseReason | None = None
    confirms: bool = False


async def overdue_batch(conn: BaseDBAsyncClient, at: datetime, limit: int, passed: Passed) -> int:
    """One batch of the items `passed` is about; what it writes takes them out of what it
    selects (marked overdue, or at another step with a new due time), so it is idempotent.
    On PostgreSQL the batch claims its rows with SKIP LOCKED, so loops share the work."""
    lock = " FOR UPDATE SKIP LOCKED" if dialect(conn) == "postgres" else ""
    due = (
        # The condition of idx_work_item_due, literally, so that the index serves it.
        "SELECT id FROM work_item WHERE status = 'OPEN' AND NOT overdue AND due_at < ? "  # noqa: S608
        f"AND step = ? ORDER BY due_at LIMIT ?{lock}"
    )
    due_args = [passed.before, passed.step, limit]
    if passed.moves:
        status = _OPEN if passed.to_step is not None else _CLOSED
        sets = (
            "step = ?, step_started_at = ?, due_at = ?, status = ?, closed_at = ?, "
            f"close_reason = ?, {_CONFIRMED}"
        )
        reason = passed.reason.value if passed.reason else None
        closed_at = None if passed.to_step is not None else at
        due_time = passed.due_at or NO_DEADLINE
        set_args: list[Any] = [passed.to_step, at, due_time, status, closed_at, reason]
        set_args += [passed.confirms, at]
    else:
        sets, set_args = "overdue = TRUE, escalated = ?", [passed.escalate]
    rows = await fetch(
        conn,
        f"UPDATE work_item SET {sets} WHERE id IN ({due}) RETURNING id",  # noqa: S608
        [*set_args, *due_args],
    )
    await add_events(conn, [int(r["id"]) for r in rows], at, passed.event)
    return len(rows)


# What staff are told of as it happens: an item opened (a new bad rating) and a deadline
# passed (marked overdue, escalated, or moved on).
_NOTIFIED = ("opened", "deadline_passed")


async def last_event_id() -> int:
    rows = await fetch(connection(), "SELECT COALESCE(MAX(id), 0) AS top FROM work_item_event")
    return int(rows[0]["top"])


async def events_after(scope: Scope, after_id: int, limit: int) -> list[dict[str, Any]]:
    """The notified events of the items in `scope` after event `after_id`, oldest first."""
    condition, args = scope_condition(scope)
    rows = await fetch(
        connection(),
        "SELECT e.id, e.at, e.action, e.step, e.outcome, w.id AS item_id, w.due_at, "  # noqa: S608
        "w.escalated, c.case_no, d.code AS department_code FROM work_item_event e "
        "JOIN work_item w ON w.id = e.work_item_id JOIN case_record c ON c.id = w.case_id "
        "JOIN department d ON d.id = w.department_id "
        f"WHERE e.id > ? AND e.action IN (?, ?) AND {condition} ORDER BY e.id LIMIT ?",
        [after_id, *_NOTIFIED, *args, limit],
    )
    return _deadlines(rows)


async def staff_tally(scope: Scope, since: datetime, limit: int) -> list[dict[str, Any]]:
    """Per rated staff member in `scope`: their bad ratings confirmed since `since`, the
    most first."""
    condition, args = scope_condition(scope)
    return await fetch(
        connection(),
        "SELECT s.code, s.name, d.code AS department_code, d.name AS department_name, "  # noqa: S608
        "count(*) AS confirmed FROM work_item w JOIN staff s ON s.id = w.rated_staff_id "
        "JOIN department d ON d.id = w.department_id "
        f"WHERE w.confirmed_at >= ? AND {condition} "
        "GROUP BY s.code, s.name, d.code, d.name ORDER BY confirmed DESC, s.code LIMIT ?",
        [since, *args, limit],
    )
