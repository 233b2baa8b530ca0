"""Case intake: business systems send up to 1,000 cases a call; each gets its own result.

Every case is checked before anything is written; the valid ones are then written in one
transaction with set-based statements (reference data, applicants, cases), so a rejected
case leaves nothing behind and a call costs a handful of round trips, not thousands.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models.db import as_utc, fetch, row_source, values_rows
from models.enums import CaseStatus, RatingStatus
from services.case_intake import (
    MAX_CASES_PER_CALL,
    CaseData,
    CaseRefusal,
    Ingested,
    check,
    normalise_id_number,
    normalise_phone,
    parse_time,
)
from services.vault import Vault

Outcome = Ingested | CaseRefusal
_RACE_RETRIES = 3


class TooManyCasesError(Exception):
    """More cases in one call than the intake accepts."""


class ConcurrentChangeError(Exception):
    """Another call changed a case of this call between our read and our write."""


@dataclass(frozen=True)
class _Existing:
    applicant_hash: str
    completed: bool


async def ingest_cases(items: Sequence[CaseData], *, vault: Vault, now: datetime) -> list[Outcome]:
    if len(items) > MAX_CASES_PER_CALL:
        raise TooManyCasesError(f"at most {MAX_CASES_PER_CALL} cases per call")
    outcomes: dict[int, Outcome] = {}
    candidates = _checked(items, now, outcomes)
    for attempt in range(_RACE_RETRIES):
        try:
            async with in_transaction() as conn:
                outcomes.update(await _write(conn, candidates, vault, now))
            break
        except ConcurrentChangeError:
            if attempt == _RACE_RETRIES - 1:
                raise
    return [outcomes[i] for i in range(len(items))]


def _checked(
    items: Sequence[CaseData], now: datetime, outcomes: dict[int, Outcome]
) -> list[tuple[int, CaseData]]:
    seen: set[str] = set()
    valid: list[tuple[int, CaseData]] = []
    for index, item in enumerate(items):
        problem = check(index, item, now)
        if problem is None and item.case_no in seen:
            problem = CaseRefusal(
                index,
                item.case_no,
                "DUPLICATE_IN_CALL",
                "caseNo",
                "caseNo appears earlier in this call",
            )
        seen.add(item.case_no)
        if problem:
            outcomes[index] = problem
        else:
            valid.append((index, item))
    return valid


async def _write(
    conn: BaseDBAsyncClient, candidates: list[tuple[int, CaseData]], vault: Vault, now: datetime
) -> dict[int, Outcome]:
    outcomes: dict[int, Outcome] = {}
    regions = await _ids_by_code(conn, "region", "code", {c.region_code for _, c in candidates})
    existing = await _existing_cases(conn, [c.case_no for _, c in candidates])
    writable: list[tuple[int, CaseData, str]] = []
    for index, item in candidates:
        rejection, lookup = _conflict(index, item, regions, existing, vault)
        if rejection:
            outcomes[index] = rejection
        else:
            writable.append((index, item, lookup))
    if not writable:
        return outcomes
    ids = await _write_reference(conn, [item for _, item, _ in writable], regions)
    applicants = await _upsert_applicants(conn, writable, vault, now)
    stored = await _upsert_cases(conn, writable, ids, applicants, now)
    for index, item, _ in writable:
        if item.case_no not in stored:
            raise ConcurrentChangeError
        before = existing.get(item.case_no)
        outcomes[index] = Ingested(
            index,
            item.case_no,
            created=before is None,
            completed_now=item.completed_at is not None and not (before and before.completed),
        )
    return outcomes


def _conflict(
    index: int,
    item: CaseData,
    regions: dict[str, int],
    existing: dict[str, _Existing],
    vault: Vault,
) -> tuple[CaseRefusal | None, str]:
    lookup = vault.lookup_hash(normalise_id_number(item.applicant.id_number))
    if item.region_code not in regions:
        return CaseRefusal(
            index,
            item.case_no,
            "UNKNOWN_REGION",
            "regionCode",
            "regionCode is not a region known to this system",
        ), lookup
    before = existing.get(item.case_no)
    if before and before.applicant_hash != lookup:
        return CaseRefusal(
            index,
            item.case_no,
            "CONFLICT",
            "applicant.idNumber",
            "this caseNo is stored with another applicant; a case cannot change applicant",
        ), lookup
    return None, lookup


async def _ids_by_code(
    conn: BaseDBAsyncClient, table: str, key: str, codes: Iterable[str]
) -> dict[str, int]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    marks = ", ".join("?" * len(wanted))
    rows = await fetch(conn, f"SELECT id, {key} AS k FROM {table} WHERE {key} IN ({marks})", wanted)  # noqa: S608
    return {row["k"]: int(row["id"]) for row in rows}


async def _existing_cases(conn: BaseDBAsyncClient, case_nos: list[str]) -> dict[str, _Existing]:
    if not case_nos:
        return {}
    marks = ", ".join("?" * len(case_nos))
    rows = await fetch(
        conn,
        "SELECT c.case_no, a.id_number_hash, c.completed_at FROM case_record c "  # noqa: S608
        f"JOIN applicant a ON a.id = c.applicant_id WHERE c.case_no IN ({marks})",
        case_nos,
    )
    return {
        row["case_no"]: _Existing(row["id_number_hash"], row["completed_at"] is not None)
        for row in rows
    }


@dataclass(frozen=True)
class _ReferenceIds:
    regions: dict[str, int]
    departments: dict[str, int]
    matters: dict[str, int]
    windows: dict[str, int]
    staff: dict[str, int]
    batches: dict[str, int]
    services: dict[str, int]


async def _write_reference(
    conn: BaseDBAsyncClient, items: list[CaseData], regions: dict[str, int]
) -> _ReferenceIds:
    departments = await _upsert(
        conn,
        "department",
        {
            i.department_code: {"name": i.department_name, "region_id": regions[i.region_code]}
            for i in items
        },
        update=("name", "region_id"),
    )
    matters = await _upsert(
        conn,
        "matter",
        {i.matter_code: {"name": i.matter_name, "type": i.matter_type.value} for i in items},
        update=("name", "type"),
    )
    windows = await _upsert(
        conn,
        "service_window",
        {
            i.window_code: {"name": i.window_name, "department_id": departments[i.department_code]}
            for i in items
            if i.window_code
        },
        update=("name",),
    )
    staff = await _upsert(
        conn,
        "staff",
        {
            i.staff_code: {"name": i.staff_name, "department_id": departments[i.department_code]}
            for i in items
            if i.staff_code
        },
        update=("name",),
    )
    batches = await _upsert(
        conn, "batch", {i.batch_no: {} for i in items if i.batch_no}, update=(), key="batch_no"
    )
    services = await _upsert(
        conn,
        "integrated_service",
        {
            i.integrated_service_no: {"name": i.integrated_service_name}
            for i in items
            if i.integrated_service_no
        },
        update=("name",),
        key="service_no",
    )
    return _ReferenceIds(regions, departments, matters, windows, staff, batches, services)


async def _upsert(
    conn: BaseDBAsyncClient,
    table: str,
    rows: dict[str | None, dict[str, Any]],
    *,
    update: tuple[str, ...],
    key: str = "code",
) -> dict[str, int]:
    """Insert missing rows and update changed ones; unchanged rows are only read, so
    concurrent calls naming the same department do not queue on its row lock."""
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


async def _upsert_applicants(
    conn: BaseDBAsyncClient, writable: list[tuple[int, CaseData, str]], vault: Vault, now: datetime
) -> dict[str, int]:
    latest = {lookup: item.applicant for _, item, lookup in writable}
    rows: list[list[Any]] = []
    for lookup in sorted(latest):
        person = latest[lookup]
        phone = normalise_phone(person.phone)
        rows.append(
            [
                lookup,
                person.kind.value,
                vault.seal(person.name.strip(), "applicant.name"),
                vault.seal(normalise_id_number(person.id_number), "applicant.id_number"),
                vault.seal(phone, "applicant.phone") if phone else None,
                phone_lookup(vault, phone) if phone else None,
                vault.active,
                now,
            ]
        )
    source, args = row_source(conn, _APPLICANT_TYPES, rows)
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


_APPLICANT_TYPES = ("text", "text", "text", "text", "text", "text", "text", "timestamptz")


def phone_lookup(vault: Vault, phone: str) -> str:
    """Keyed hash of a normalised phone (its own domain, apart from ID numbers)."""
    return vault.lookup_hash(f"phone:{phone}")


_CASE_COLUMNS = (
    "case_no",
    "matter_id",
    "department_id",
    "region_id",
    "window_id",
    "staff_id",
    "applicant_id",
    "served_via",
    "status",
    "accepted_at",
    "completed_at",
    "batch_id",
    "integrated_service_id",
    "updated_at",
    "rating_status",
)
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
_KEEP_WHEN_ABSENT = ("window_id", "staff_id", "completed_at", "batch_id", "integrated_service_id")


async def _upsert_cases(
    conn: BaseDBAsyncClient,
    writable: list[tuple[int, CaseData, str]],
    ids: _ReferenceIds,
    applicants: dict[str, int],
    now: datetime,
) -> set[str]:
    rows: list[list[Any]] = []
    for _, item, lookup in sorted(writable, key=lambda w: w[1].case_no):
        rows.append(
            [
                item.case_no,
                ids.matters[item.matter_code],
                ids.departments[item.department_code],
                ids.regions[item.region_code],
                ids.windows.get(item.window_code or ""),
                ids.staff.get(item.staff_code or ""),
                applicants[lookup],
                item.served_via.value,
                (CaseStatus.COMPLETED if item.completed_at else CaseStatus.ACCEPTED).value,
                as_utc(parse_time(item.accepted_at)),
                as_utc(parse_time(item.completed_at)),
                ids.batches.get(item.batch_no or ""),
                ids.services.get(item.integrated_service_no or ""),
                now.astimezone(UTC),
                RatingStatus.UNRATED.value,
            ]
        )
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
    source, args = row_source(conn, _CASE_TYPES, rows)
    stored = await fetch(
        conn,
        f"INSERT INTO case_record ({', '.join(_CASE_COLUMNS)}) {source} "
        f"ON CONFLICT (case_no) DO UPDATE SET {', '.join(sets)} "
        "WHERE case_record.applicant_id = excluded.applicant_id RETURNING case_no",
        args,
    )
    return {row["case_no"] for row in stored}
