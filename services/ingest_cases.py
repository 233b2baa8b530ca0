"""Case intake: business systems send up to 1,000 cases a call; each gets its own result.

Every case is checked before anything is written; the valid ones are then written in one
transaction with set-based statements (reference data, applicants, cases), so a rejected
case leaves nothing behind and a call costs a handful of round trips, not thousands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models.db import as_utc
from models.enums import CaseStatus, RatingStatus
from models.stores import intake as store
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
    regions = await store.ids_by_code(
        conn, "region", "code", {c.region_code for _, c in candidates}
    )
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


async def _existing_cases(conn: BaseDBAsyncClient, case_nos: list[str]) -> dict[str, _Existing]:
    stored = await store.stored_cases(conn, case_nos)
    return {no: _Existing(lookup, completed) for no, (lookup, completed) in stored.items()}


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
    departments = await store.upsert_reference(
        conn,
        "department",
        {
            i.department_code: {"name": i.department_name, "region_id": regions[i.region_code]}
            for i in items
        },
        update=("name", "region_id"),
    )
    matters = await store.upsert_reference(
        conn,
        "matter",
        {i.matter_code: {"name": i.matter_name, "type": i.matter_type.value} for i in items},
        update=("name", "type"),
    )
    windows = await store.upsert_reference(
        conn,
        "service_window",
        {
            i.window_code: {"name": i.window_name, "department_id": departments[i.department_code]}
            for i in items
            if i.window_code
        },
        update=("name",),
    )
    staff = await store.upsert_reference(
        conn,
        "staff",
        {
            i.staff_code: {"name": i.staff_name, "department_id": departments[i.department_code]}
            for i in items
            if i.staff_code
        },
        update=("name",),
    )
    batches = await store.upsert_reference(
        conn, "batch", {i.batch_no: {} for i in items if i.batch_no}, update=(), key="batch_no"
    )
    services = await store.upsert_reference(
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


async def _upsert_applicants(
    conn: BaseDBAsyncClient, writable: list[tuple[int, CaseData, str]], vault: Vault, now: datetime
) -> dict[str, int]:
    latest = {lookup: item.applicant for _, item, lookup in writable}
    rows: list[store.ApplicantRow] = []
    for lookup in sorted(latest):
        person = latest[lookup]
        phone = normalise_phone(person.phone)
        rows.append(
            store.ApplicantRow(
                id_number_hash=lookup,
                kind=person.kind.value,
                name_enc=vault.seal(person.name.strip(), "applicant.name"),
                id_number_enc=vault.seal(
                    normalise_id_number(person.id_number), "applicant.id_number"
                ),
                phone_enc=vault.seal(phone, "applicant.phone") if phone else None,
                phone_hash=phone_lookup(vault, phone) if phone else None,
                key_id=vault.active,
                updated_at=now,
            )
        )
    return await store.upsert_applicants(conn, rows)


def phone_lookup(vault: Vault, phone: str) -> str:
    """Keyed hash of a normalised phone (its own domain, apart from ID numbers)."""
    return vault.lookup_hash(f"phone:{phone}")


async def _upsert_cases(
    conn: BaseDBAsyncClient,
    writable: list[tuple[int, CaseData, str]],
    ids: _ReferenceIds,
    applicants: dict[str, int],
    now: datetime,
) -> set[str]:
    rows = [
        store.CaseRow(
            case_no=item.case_no,
            matter_id=ids.matters[item.matter_code],
            department_id=ids.departments[item.department_code],
            region_id=ids.regions[item.region_code],
            window_id=ids.windows.get(item.window_code or ""),
            staff_id=ids.staff.get(item.staff_code or ""),
            applicant_id=applicants[lookup],
            served_via=item.served_via.value,
            status=(CaseStatus.COMPLETED if item.completed_at else CaseStatus.ACCEPTED).value,
            accepted_at=as_utc(parse_time(item.accepted_at)),
            completed_at=as_utc(parse_time(item.completed_at)),
            batch_id=ids.batches.get(item.batch_no or ""),
            integrated_service_id=ids.services.get(item.integrated_service_no or ""),
            updated_at=now.astimezone(UTC),
            rating_status=RatingStatus.UNRATED.value,
        )
        for _, item, lookup in sorted(writable, key=lambda w: w[1].case_no)
    ]
    return await store.upsert_cases(conn, rows)
