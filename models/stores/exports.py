"""The rows of the exports (`hcp export`, the console's download): the ratings and the work
items of a period, read in keyset pages by id, so that an export of a year is one pass over
the table and never holds more than a page.

Nothing of the applicant or the rater is selected (no name, ID number, phone, rater key):
an export never holds who rated, whatever the caller's role. A comment that is held for
review or whose publication was refused is left out here, so it never leaves the database.
Whose rows: the conditions of the scope functions of the cases and work items stores."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from models.db import as_utc, connection, fetch
from models.stores import cases, work_items
from models.stores.scope import Scope

_RATINGS = (
    "SELECT r.id, c.case_no, m.code AS matter_code, m.name AS matter_name, "
    "d.code AS department_code, d.name AS department_name, g.code AS region_code, "
    "sw.code AS window_code, sw.name AS window_name, h.name AS hall_name, "
    "s.code AS staff_code, s.name AS staff_name, r.channel, r.level, r.category, r.tags, "
    "CASE WHEN r.held_for_review OR r.moderation = ? THEN NULL ELSE r.comment END AS comment, "
    "r.rated_at, r.effective, r.appeal_upheld "
    "FROM rating r JOIN case_record c ON c.id = r.case_id JOIN matter m ON m.id = c.matter_id "
    "JOIN department d ON d.id = c.department_id JOIN region g ON g.id = c.region_id "
    "LEFT JOIN service_window sw ON sw.id = c.window_id LEFT JOIN hall h ON h.id = sw.hall_id "
    "LEFT JOIN staff s ON s.id = c.staff_id "
    "WHERE r.id > ? AND r.rated_at >= ? AND r.rated_at < ?"
)
_WORK_ITEMS = (
    "SELECT w.id, c.case_no, m.code AS matter_code, m.name AS matter_name, "
    "d.code AS department_code, d.name AS department_name, g.code AS region_code, "
    "sw.code AS window_code, sw.name AS window_name, s.code AS staff_code, "
    "s.name AS staff_name, w.status, w.step, w.opened_at, w.due_at, w.overdue, w.escalated, "
    "w.closed_at, w.close_reason, "
    "(SELECT COUNT(*) FROM work_item_event e WHERE e.work_item_id = w.id) AS events "
    "FROM work_item w JOIN case_record c ON c.id = w.case_id "
    "JOIN matter m ON m.id = c.matter_id JOIN department d ON d.id = w.department_id "
    "LEFT JOIN region g ON g.id = w.region_id "
    "LEFT JOIN service_window sw ON sw.id = c.window_id "
    "LEFT JOIN staff s ON s.id = w.rated_staff_id "
    "WHERE w.id > ? AND w.opened_at >= ? AND w.opened_at < ?"
)


Condition = Callable[[Scope], tuple[str, list[Any]]]


def _within(
    condition: Condition, scopes: Sequence[Scope], args: list[Any]
) -> tuple[str, list[Any]]:
    """The statement's conditions, one per scope (the viewer's reach, a chosen region…)."""
    where: list[str] = []
    for scope in scopes:
        sql, more = condition(scope)
        where.append(sql)
        args += more
    return "".join(f" AND {sql}" for sql in where), args


async def rating_rows(
    scopes: Sequence[Scope],
    start: datetime,
    end: datetime,
    after_id: int,
    limit: int,
    *,
    unpublished: str,
) -> list[dict[str, Any]]:
    """Ratings given in [start, end) of the cases in every one of `scopes`, by id after
    `after_id`; the comment empty when held or when moderation came to `unpublished`."""
    where, args = _within(cases.scope_condition, scopes, [unpublished, after_id, start, end])
    return await fetch(connection(), f"{_RATINGS}{where} ORDER BY r.id LIMIT ?", [*args, limit])


async def work_item_rows(
    scopes: Sequence[Scope], start: datetime, end: datetime, after_id: int, limit: int
) -> list[dict[str, Any]]:
    """Work items opened in [start, end) in every one of `scopes`, by id after `after_id`,
    with the number of their timeline events; no deadline is read back as None."""
    where, args = _within(work_items.scope_condition, scopes, [after_id, start, end])
    rows = await fetch(connection(), f"{_WORK_ITEMS}{where} ORDER BY w.id LIMIT ?", [*args, limit])
    for row in rows:
        due = as_utc(row["due_at"])
        row["due_at"] = None if due is None or due.year == work_items.NO_DEADLINE.year else due
    return rows
