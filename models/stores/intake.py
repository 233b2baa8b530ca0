"""Case intake's writes: the reference rows a case names, its applicant and the case
itself, each kind in one set-based statement inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from tortoise.backends.base.client import BaseDBAsyncClient

from models.db import fetch, row_source, values_rows
from models.enums import CaseStatus


async def ids_by_code(
    conn: BaseDBAsyncClient, table: str, key: str, codes: Iterable[str]
) -> dict[str, int]:
    """The ids of the rows of `table` whose `key` is one of `codes`, by code."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    marks = ", ".join("?" * len(wanted))
    rows = await fetch(conn, f"SELECT id, {key} AS k FROM {table} WHERE {key} IN ({marks})", wanted)  # noqa: S608
    return {row["k"]: int(row["id"]) for row in rows}


async def stored_cases(
    conn: BaseDBAsyncClient, case_nos: Sequence[str]
) -> dict[str, tuple[str, bool]]:
    """For each case number already stored: its applicant's lookup hash and whether it is
    completed."""
    if not case_nos:
        return {}
    marks = ", ".join("?" * len(case_nos))
    rows = await fetch(
        conn,
        "SELECT c.case_no, a.id_number_hash, c.completed_at FROM case_record c "  # noqa: S608
        f"JOIN applicant a ON a.id = c.applicant_id WHERE c.case_no IN ({marks})",
        list(case_nos),
    )
    return {
        row["case_no"]: (row["id_number_hash"], row["completed_at"] is not None) for row in rows
    }


async def upsert_reference(
    conn: BaseDBAsyncClient,
    table: str,
    rows: dict[str | None, dict[str, Any]],
    *,
    update: tuple[str, ...],
    key: str = "code",
) -> dict[str, int]:
    """Insert missing rows and update changed ones; unchanged rows are only read, so
    concurrent calls naming the same department do not queue on its row lock. Returns
    every row's id by key."""
    if not rows:
        return {}
    columns = sorted(next(iter(rows.values())))
    select_cols = "".join(f", {c}" for c in update)
    marks = ", ".join("?" * len(rows))
    current = await fetch(
        conn,
        f"SELECT id, {key} AS k{select_cols} FROM {table} WHERE {key} IN ({marks})",  # noqa: S608
        sorted(str(k) for k in rows),
    )
    ids = {row["k"]: int(row["id"]) for row in current}
    same = {row["k"] for row in current if all(row[c] == rows[row["k"]][c] for c in update)}
    todo = sorted(str(k) for k in rows if k not in same)
    if not todo:
        return ids
    names = [key, *columns]
    sets = ", ".join(f"{c} = excluded.{c}" for c in update) or f"{key} = excluded.{key}"
    args = [v for k in todo for v in (k, *(rows[k][c] for c in columns))]
    written = await fetch(
        conn,
        f"INSERT INTO {table} ({', '.join(names)}) VALUES {values_rows(len(names), len(todo))} "  # noqa: S608
        f"ON CONFLICT ({key}) DO UPDATE SET {sets} RETURNING id, {key} AS k",
        args,
    )
    ids.update({row["k"]: int(row["id"]) for row in written})
    return ids


class ApplicantRow(NamedTuple):
    """An applicant as stored: sealed under `key_id`, found by its lookup hashes."""

    id_number_hash: str
    kind: str
    name_enc: str
    id_number_enc: str
    phone_enc: str | None
    phone_hash: str | None
    key_id: str
    updated_at: datetime


_APPLICANT_TYPES = ("text", "text", "text", "text", "text", "text", "text", "timestamptz")


async def upsert_applicants(
    conn: BaseDBAsyncClient, applicants: Sequence[ApplicantRow]
) -> dict[str, int]:
    """Store each applicant, replacing what was stored under its hash, but keeping a stored
    phone when the new row has none. Returns the ids by ID-number hash."""
    source, args = row_source(conn, _APPLICANT_TYPES, [list(a) for a in applicants])
    written = await fetch(
        conn,
        "INSERT INTO applicant (id_number_hash, kind, name_enc, id_number_enc, phone_enc, "
        f"phone_hash, key_id, updated_at) {source} "
        "ON CONFLICT (id_number_hash) DO UPDATE SET kind = excluded.kind, "
        "name_enc = excluded.name_enc, id_number_enc = excluded.id_number_enc, "
        "phone_enc = COALESCE(excluded.phone_enc, applicant.phone_enc), "
        "phone_hash = COALESCE(excluded.phone_hash, applicant.phone_hash), "
        "key_id = excluded.key_id, updated_at = excluded.updated_at "
        "RETURNING id, id_number_hash",
        args,
    )
    return {row["id_number_hash"]: int(row["id"]) for row in written}


class CaseRow(NamedTuple):
    """A case as stored (the columns of case_record intake writes, in order)."""

    case_no: str
    matter_id: int
    department_id: int
    region_id: int
    window_id: int | None
    staff_id: int | None
    applicant_id: int
    served_via: str
    status: str
    accepted_at: datetime | None
    completed_at: datetime | None
    batch_id: int | None
    integrated_service_id: int | None
    updated_at: datetime
    rating_status: str


_CASE_COLUMNS = CaseRow._fields
_CASE_TYPES = (
    "text",
    "bigint",
    "bigint",
    "bigint",
    "bigint",
    "bigint",
    "bigint",
    "text",
    "text",
    "timestamptz",
    "timestamptz",
    "bigint",
    "bigint",
    "timestamptz",
    "text",
)
# A re-sent case without these keeps what was stored.
_KEEP_WHEN_ABSENT = ("window_id", "staff_id", "completed_at", "batch_id", "integrated_service_id")


async def upsert_cases(conn: BaseDBAsyncClient, cases: Sequence[CaseRow]) -> set[str]:
    """Store the cases; a stored case is updated only when it is the same applicant's,
    its status follows whether it is completed, and its rating status stays. Returns the
    case numbers written."""
    overwrite = [
        c
        for c in _CASE_COLUMNS[1:]
        if c not in _KEEP_WHEN_ABSENT and c not in ("status", "applicant_id", "rating_status")
    ]
    sets = [f"{c} = excluded.{c}" for c in overwrite]
    sets += [f"{c} = COALESCE(excluded.{c}, case_record.{c})" for c in _KEEP_WHEN_ABSENT]
    sets.append(
        "status = CASE WHEN COALESCE(excluded.completed_at, case_record.completed_at) IS NULL "
        f"THEN '{CaseStatus.ACCEPTED.value}' ELSE '{CaseStatus.COMPLETED.value}' END"
    )
    source, args = row_source(conn, _CASE_TYPES, [list(c) for c in cases])
    stored = await fetch(
        conn,
        f"INSERT INTO case_record ({', '.join(_CASE_COLUMNS)}) {source} "
        f"ON CONFLICT (case_no) DO UPDATE SET {', '.join(sets)} "
        "WHERE case_record.applicant_id = excluded.applicant_id RETURNING case_no",
        args,
    )
    return {row["case_no"] for row in stored}
