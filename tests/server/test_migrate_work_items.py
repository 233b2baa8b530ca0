"""Migration 0010 grows the callback into the work item: a database migrated to 0009 with
an open and a closed callback keeps both, the open one at the callback step (with no due
time: it was opened before the loop had deadlines), the closed one with its history."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tortoise import Tortoise
from tortoise.migrations.api import migrate

from models.db import connection, execute, fetch, tortoise_config
from tests.conftest import PG_URL, new_postgres_database, require

BEFORE = "models.0009_reference_indexes"
AT = "2026-11-20 10:00:00+00:00"
ROWS = (
    "INSERT INTO region (id, code, name) VALUES (1, '330283', '奉化区')",
    "INSERT INTO department (id, code, name, region_id) VALUES (1, 'D-SCJG', '区市场监管局', 1)",
    "INSERT INTO matter (id, code, name, type) VALUES (1, 'M-1', '营业执照设立登记', 'LICENSING')",
    "INSERT INTO applicant (id, id_number_hash, kind, name_enc, id_number_enc, key_id, "
    f"updated_at) VALUES (1, 'h', 'PERSON', 'x', 'x', 'k1', '{AT}')",
    *(
        "INSERT INTO case_record (id, case_no, served_via, status, accepted_at, updated_at, "
        "applicant_id, department_id, matter_id, region_id, rating_status) VALUES "
        f"({n}, 'C-{n}', 'WINDOW', 'COMPLETED', '{AT}', '{AT}', 1, 1, 1, 1, 'RATED')"
        for n in (1, 2)
    ),
    *(
        "INSERT INTO rating (id, case_id, act_id, target, level, category, tags, channel, "
        "rater_role, rated_at, effective, held_for_review, rules_version, fired_rules) VALUES "
        f"({n}, {n}, 'a{n}', 'case', 1, 'bad', '[]', 'APP', 'citizen', '{AT}', TRUE, FALSE, "
        "'v', '[]')"
        for n in (1, 2)
    ),
    "INSERT INTO callback (case_id, department_id, rating_id, status, opened_at) "
    f"VALUES (1, 1, 1, 'OPEN', '{AT}')",
    "INSERT INTO callback (case_id, department_id, rating_id, status, opened_at, closed_at, "
    f"close_reason) VALUES (2, 1, 2, 'CLOSED', '{AT}', '{AT}', 'RATING_CHANGED')",
)


@pytest.fixture(params=["sqlite", "postgres"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path}/migrate.sqlite3"
        return
    require(PG_URL, "HCP_TEST_POSTGRES_URL")
    with new_postgres_database("hcp_migrate_items") as url:
        yield url


async def test_open_and_closed_callbacks_become_work_items(database: str) -> None:
    config = tortoise_config(database)
    await migrate(config=config, target=BEFORE)
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    try:
        for statement in ROWS:
            await execute(connection(), statement)
    finally:
        await Tortoise.close_connections()
    await migrate(config=config)
    await Tortoise.init(config=config)
    try:
        rows = await fetch(
            connection(),
            "SELECT case_id, status, step, due_at, close_reason, region_id FROM work_item "
            "ORDER BY case_id",
        )
    finally:
        await Tortoise.close_connections()
    found = [(r["case_id"], r["status"], r["step"], r["close_reason"]) for r in rows]
    assert found == [(1, "OPEN", "callback", None), (2, "CLOSED", None, "RATING_CHANGED")]
    assert all(str(r["due_at"]).startswith("9999-12-31") for r in rows)
    assert {r["region_id"] for r in rows} == {1}
