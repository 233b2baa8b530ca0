"""The cases a rating is for, read (and on PostgreSQL locked) inside its transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from models.db import as_utc, connection, dialect, fetch


@dataclass(frozen=True)
class RatedCase:
    """A case as rating it needs it: whose it is, where it was served, what it has."""

    id: int
    case_no: str
    completed_at: datetime | None
    applicant_hash: str
    staff_code: str | None
    batch_id: int | None
    service_id: int | None
    rating_status: str
    effective_target: str | None
    window_code: str | None
    phone_hash: str | None
    department_code: str
    region_id: int
    hall_code: str | None
    effective_rater_role: str | None  # who gave the effective rating (None: none)
    last_rated_at: datetime | None
    # Since when the case's work item waits for the rater to rate the fix (追评); None: not.
    follow_up_since: datetime | None = None


_CASE_SELECT = """
SELECT c.id, c.case_no, c.completed_at, a.id_number_hash, s.code AS staff_code,
       c.batch_id, c.integrated_service_id, c.rating_status, e.target AS effective_target,
       w.code AS window_code, a.phone_hash, d.code AS department_code, c.region_id,
       h.code AS hall_code, e.rater_role AS effective_rater_role,
       (SELECT max(r.rated_at) FROM rating r WHERE r.case_id = c.id) AS last_rated_at,
       (SELECT f.step_started_at FROM work_item f WHERE f.case_id = c.id AND f.status = 'OPEN'
        AND f.step = 'follow_up_rating') AS follow_up_since
"""
_CASE_JOINS = """
JOIN applicant a ON a.id = c.applicant_id
JOIN department d ON d.id = c.department_id
LEFT JOIN staff s ON s.id = c.staff_id
LEFT JOIN service_window w ON w.id = c.window_id
LEFT JOIN hall h ON h.id = w.hall_id
LEFT JOIN rating e ON e.id = c.effective_rating_id
"""
_GROUPS = {
    "batch": "WHERE c.batch_id = (SELECT id FROM batch WHERE batch_no = ?)",
    "integrated_service": (
        "WHERE c.integrated_service_id = (SELECT id FROM integrated_service WHERE service_no = ?)"
    ),
}
# A case and the rest of its batch. Written as the first table of the join (the joins run
# in the order written, see models.db), so both halves are index lookups.
_CASE_AND_BATCH = """
FROM (SELECT id FROM case_record WHERE case_no = ?
      UNION SELECT m.id FROM case_record t JOIN case_record m ON m.batch_id = t.batch_id
      WHERE t.case_no = ?) AS pick
JOIN case_record c ON c.id = pick.id
"""


def _cases(rows: list[dict[str, Any]]) -> list[RatedCase]:
    return [
        RatedCase(
            int(r["id"]),
            r["case_no"],
            as_utc(r["completed_at"]),
            r["id_number_hash"],
            r["staff_code"],
            r["batch_id"],
            r["integrated_service_id"],
            r["rating_status"],
            r["effective_target"],
            r["window_code"],
            r["phone_hash"],
            r["department_code"],
            int(r["region_id"]),
            r["hall_code"],
            r["effective_rater_role"],
            as_utc(r["last_rated_at"]),
            as_utc(r["follow_up_since"]),
        )
        for r in rows
    ]


async def target_cases(
    conn: BaseDBAsyncClient, target: str, number: str, *, lock: bool
) -> list[RatedCase]:
    """The target's cases (`target`: case, batch or integrated_service). A case comes with
    the rest of its batch, which a rating may fan out to. With `lock` (PostgreSQL; SQLite
    serialises write transactions) they are locked first, all at once in id order, so two
    ratings of one batch queue instead of deadlocking; and read after, by a statement of its
    own: a statement that waited for a lock reads the other tables as they were before it
    waited (READ COMMITTED), and "latest" and "effective" must see the rating that went in
    first."""
    if target == "case":
        source, where, args = _CASE_AND_BATCH, "", [number, number]
    else:
        source, where, args = "FROM case_record c", _GROUPS[target], [number]
    if lock and dialect(conn) == "postgres":
        await fetch(conn, _lock_sql(source, where), args)
    rows = await fetch(conn, _read_sql(source, where), args)
    return _cases(rows)


def _read_sql(source: str, where: str) -> str:
    return f"{_CASE_SELECT}{source}{_CASE_JOINS}{where} ORDER BY c.id"


def _lock_sql(source: str, where: str) -> str:
    return f"SELECT c.id {source} {where} ORDER BY c.id FOR UPDATE OF c"


# What rating one case sends on PostgreSQL (arguments: the case number twice): the lock,
# then the read.
LOCK_CASE_SQL = _lock_sql(_CASE_AND_BATCH, "")
READ_CASE_SQL = _read_sql(_CASE_AND_BATCH, "")

# An applicant's cases a rating might still be given on: completed, and unrated or with a
# fix awaiting its follow-up rating (追评). Which of them may be rated now the policy says.
_OPEN_OF_APPLICANT = """
WHERE c.applicant_id = (SELECT id FROM applicant WHERE id_number_hash = ?)
  AND c.completed_at IS NOT NULL
  AND (c.rating_status = 'UNRATED' OR EXISTS (SELECT 1 FROM work_item f WHERE f.case_id = c.id
       AND f.status = 'OPEN' AND f.step = 'follow_up_rating'))
"""


async def open_cases_of(applicant_hash: str) -> list[RatedCase]:
    """The applicant's cases that may await a rating (see _OPEN_OF_APPLICANT)."""
    return _cases(
        await fetch(
            connection(), _read_sql("FROM case_record c", _OPEN_OF_APPLICANT), [applicant_hash]
        )
    )


async def cases_by_id(ids: Sequence[int]) -> list[RatedCase]:
    """The cases with these ids, as rating needs them (one statement for a page)."""
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    where = f"WHERE c.id IN ({marks})"
    return _cases(await fetch(connection(), _read_sql("FROM case_record c", where), list(ids)))


async def bundle_of(service_id: int) -> tuple[str, str, int]:
    """A one-thing bundle's number, name and how many cases it holds."""
    rows = await fetch(
        connection(),
        "SELECT i.service_no, i.name, (SELECT COUNT(*) FROM case_record c "
        "WHERE c.integrated_service_id = i.id) AS members FROM integrated_service i "
        "WHERE i.id = ?",
        [service_id],
    )
    row = rows[0]
    return str(row["service_no"]), str(row["name"]), int(row["members"])


_REGION_TREE_SQL = (
    "WITH RECURSIVE sub(id) AS (SELECT id FROM region WHERE code = ? "
    "UNION SELECT r2.id FROM region r2 JOIN sub ON r2.parent_id = sub.id) SELECT id FROM sub"
)


async def regions_below(region_code: str | None) -> frozenset[int]:
    """The region's id and those of every region below it."""
    rows = await fetch(connection(), _REGION_TREE_SQL, [region_code])
    return frozenset(int(r["id"]) for r in rows)
