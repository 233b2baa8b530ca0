"""Direct PostgreSQL work: a fresh bench database, its regions, and the bulk fill.

The fill writes the cases the API did not, as `ingestCases` would have written them:
the same applicants (HMAC look-up hash and AES-GCM sealed columns from the bench key, so
`myCases` can open them), the reference rows the API created, COPY in ~10% chunks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from bench.data import (
    DEPARTMENTS,
    REGIONS,
    BenchCase,
    Layout,
    bench_case,
    id_number,
    person_name,
    phone,
)
from services.vault import Vault

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
    "updated_at",
)
_APPLICANT_COLUMNS = (
    "id_number_hash",
    "kind",
    "name_enc",
    "id_number_enc",
    "phone_enc",
    "key_id",
    "updated_at",
)


async def reset_database(url: str) -> None:
    """Drop and create the database named in `url` (via the `postgres` maintenance DB)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"refusing to drop a database named {name!r}")
    admin = await asyncpg.connect(parts._replace(path="/postgres").geturl())
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def seed_regions(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        for code, name, parent in REGIONS:
            await conn.execute(
                "INSERT INTO region (code, name, parent_id) "
                "VALUES ($1, $2, (SELECT id FROM region WHERE code = $3))",
                code,
                name,
                parent,
            )
    finally:
        await conn.close()


async def count_cases(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM case_record"))
    finally:
        await conn.close()


async def fill(
    url: str, layout: Layout, start: int, vault: Vault, progress: Callable[[str], None]
) -> None:
    """Write cases k in [start, layout.total), then VACUUM ANALYZE (so that autovacuum
    does not wake up during the measurements, and count(*) can use index-only scans)."""
    conn = await asyncpg.connect(url)
    try:
        ids = {
            t: {r["code"]: r["id"] for r in await conn.fetch(f"SELECT code, id FROM {t}")}
            for t in ("region", "department", "matter", "service_window", "staff")
        }
        if len(ids["department"]) < len(DEPARTMENTS):
            raise RuntimeError("the fill needs the reference rows the API writes: ingest first")
        owners = {layout.owner(k) for k in range(start, layout.total)}
        applicant_ids = await _applicants(conn, sorted(owners), vault)
        now = datetime.now(UTC)
        chunk = max(1, (layout.total - start) // 10)
        for first in range(start, layout.total, chunk):
            last = min(first + chunk, layout.total)
            rows = [
                _case_row(bench_case(layout, k), ids, applicant_ids, now)
                for k in range(first, last)
            ]
            await conn.copy_records_to_table("case_record", records=rows, columns=_CASE_COLUMNS)
            done = last - start
            progress(
                f"fill: {done:,}/{layout.total - start:,} cases "
                f"({100 * done // (layout.total - start)}%)"
            )
        progress("fill: VACUUM ANALYZE")
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()


async def _applicants(conn: Any, people: list[int], vault: Vault) -> dict[int, int]:
    """applicant index -> applicant.id, inserting those the API has not written yet."""
    hashes = {j: vault.lookup_hash(id_number(j)) for j in people}
    stored = {
        r["id_number_hash"]: r["id"]
        for r in await conn.fetch("SELECT id_number_hash, id FROM applicant")
    }
    now = datetime.now(UTC)
    missing = [
        (
            hashes[j],
            "PERSON",
            vault.seal(person_name(j), "applicant.name"),
            vault.seal(id_number(j), "applicant.id_number"),
            vault.seal(phone(j), "applicant.phone"),
            vault.active,
            now,
        )
        for j in people
        if hashes[j] not in stored
    ]
    if missing:
        await conn.copy_records_to_table("applicant", records=missing, columns=_APPLICANT_COLUMNS)
        stored = {
            r["id_number_hash"]: r["id"]
            for r in await conn.fetch("SELECT id_number_hash, id FROM applicant")
        }
    return {j: stored[hashes[j]] for j in people}


def _case_row(
    case: BenchCase, ids: dict[str, dict[str, int]], applicants: dict[int, int], now: datetime
) -> tuple[Any, ...]:
    """One case_record row as services.ingest_cases writes it."""
    item = case.as_input()
    window, staff = item.get("windowCode"), item.get("staffCode")
    return (
        item["caseNo"],
        ids["matter"][item["matterCode"]],
        ids["department"][item["departmentCode"]],
        ids["region"][item["regionCode"]],
        ids["service_window"][window] if window else None,
        ids["staff"][staff] if staff else None,
        applicants[case.applicant],
        item["servedVia"],
        "COMPLETED",
        datetime.fromisoformat(item["acceptedAt"]),
        datetime.fromisoformat(item["completedAt"]),
        now,
    )
