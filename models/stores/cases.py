"""Cases as the read side sees them: one statement per page (joins, keyset pagination on
the applicant index) so a page costs the same at a million cases as at a hundred, and the
scope of cases a viewer may see turned into a condition over `c` (case_record) and `d`
(its department)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.db import connection, fetch
from models.stores.scope import Reach, Scope

_APPLICANT = "{t}.applicant_id = (SELECT id FROM applicant WHERE id_number_hash = ?)"


def scope_condition(scope: Scope) -> tuple[str, list[Any]]:
    """SQL condition over `c` = case_record, `d` = its department, and its arguments."""
    match scope.reach:
        case Reach.ALL:
            return "1 = 1", []
        case Reach.APPLICANT:
            return _APPLICANT.format(t="c"), [scope.value]
        case Reach.DEPARTMENT:
            return "d.code = ?", [scope.value]
        case Reach.REGION:
            return (
                "c.region_id IN (WITH RECURSIVE sub(id) AS (SELECT id FROM region WHERE "
                "code = ? UNION SELECT r2.id FROM region r2 JOIN sub ON r2.parent_id = sub.id) "
                "SELECT id FROM sub)",
                [scope.value],
            )
    return "1 = 0", []


_COLUMNS = """
SELECT c.id, c.case_no, c.status, c.served_via, c.accepted_at, c.completed_at,
       c.rating_status, c.effective_rating_id,
       m.code AS matter_code, m.name AS matter_name, m.type AS matter_type,
       d.code AS department_code, d.name AS department_name, r.code AS region_code,
       w.code AS window_code, w.name AS window_name, s.code AS staff_code, s.name AS staff_name,
       b.batch_no, i.service_no, i.name AS service_name,
       a.kind AS applicant_kind, a.id_number_hash, a.name_enc, a.id_number_enc, a.phone_enc,
       a.key_id,
       (SELECT f.step_started_at FROM work_item f WHERE f.case_id = c.id AND f.status = 'OPEN'
        AND f.step = 'follow_up_rating') AS follow_up_since
"""
_FROM = """
FROM case_record c
JOIN matter m ON m.id = c.matter_id
JOIN department d ON d.id = c.department_id
JOIN region r ON r.id = c.region_id
JOIN applicant a ON a.id = c.applicant_id
LEFT JOIN service_window w ON w.id = c.window_id
LEFT JOIN staff s ON s.id = c.staff_id
LEFT JOIN batch b ON b.id = c.batch_id
LEFT JOIN integrated_service i ON i.id = c.integrated_service_id
"""


@dataclass(frozen=True)
class Among:
    """Which of an applicant's cases: with one of `statuses` (any when empty), and only
    those with the `ids` (any when None)."""

    statuses: tuple[str, ...] = ()
    ids: tuple[int, ...] | None = None


def _of_applicant(applicant_hash: str, among: Among, table: str = "c") -> tuple[str, list[Any]]:
    where, args = _APPLICANT.format(t=table), list[Any]([applicant_hash])
    if among.statuses:
        marks = ", ".join("?" for _ in among.statuses)
        where += f" AND {table}.rating_status IN ({marks})"
        args += among.statuses
    if among.ids is not None:
        if not among.ids:
            return "1 = 0", []
        marks = ", ".join("?" for _ in among.ids)
        where += f" AND {table}.id IN ({marks})"
        args += among.ids
    return where, args


async def applicant_cases(
    applicant_hash: str,
    *,
    among: Among,
    before: tuple[datetime, int] | None,
    limit: int,
    with_total: bool,
) -> list[dict[str, Any]]:
    """The applicant's cases, newest accepted first, after the keyset `before` (accepted_at,
    id); `with_total` adds to each row a `total` of all their cases (`among` them)."""
    where, args = _of_applicant(applicant_hash, among)
    total_sql, total_args = "", list[Any]()
    if with_total:
        mine, total_args = _of_applicant(applicant_hash, among, table="x")
        total_sql = f", (SELECT COUNT(*) FROM case_record x WHERE {mine}) AS total"  # noqa: S608
    if before is not None:
        accepted_at, case_id = before
        where += " AND (c.accepted_at < ? OR (c.accepted_at = ? AND c.id < ?))"
        args += [accepted_at, accepted_at, case_id]
    return await fetch(
        connection(),
        f"{_COLUMNS}{total_sql}{_FROM} WHERE {where} "
        "ORDER BY c.accepted_at DESC, c.id DESC LIMIT ?",
        [*total_args, *args, limit],
    )


async def count_applicant_cases(applicant_hash: str, among: Among) -> int:
    where, args = _of_applicant(applicant_hash, among)
    rows = await fetch(
        connection(),
        f"SELECT COUNT(*) AS n FROM case_record c WHERE {where}",  # noqa: S608
        args,
    )
    return int(rows[0]["n"])


async def case_in_scope(case_no: str, scope: Scope) -> dict[str, Any] | None:
    condition, args = scope_condition(scope)
    rows = await fetch(
        connection(), f"{_COLUMNS}{_FROM} WHERE c.case_no = ? AND {condition}", [case_no, *args]
    )
    return rows[0] if rows else None
