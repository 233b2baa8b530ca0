"""deploy/migrate_locked.py, the migration step of deploy/hcp.service: while another host
holds the migration lock, a starting host waits instead of migrating alongside it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import PG_URL, _admin, require

ROOT = Path(__file__).resolve().parents[2]
MIGRATE_LOCKED = ROOT / "deploy" / "migrate_locked.py"
LOCK_KEY = int.from_bytes(b"hcp-migr", "big")


@pytest.fixture
async def fresh_database(tmp_path: Path) -> AsyncIterator[str]:
    base = require(PG_URL, "HCP_TEST_POSTGRES_URL")
    name = f"hcp_migrate_{uuid.uuid4().hex[:10]}"
    await _admin(base, f'CREATE DATABASE "{name}"')
    try:
        yield base.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _tables(conn: asyncpg.Connection) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
    return count


@pytest.mark.postgres
async def test_a_second_host_waits_for_the_migration_lock_then_migrates(
    fresh_database: str, tmp_path: Path
) -> None:
    holder = await asyncpg.connect(fresh_database)
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(MIGRATE_LOCKED),
            env={**os.environ, "HCP_DATABASE_URL": fresh_database, "HCP_VAR_DIR": str(tmp_path)},
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
        )
        assert process.stderr is not None
        line = await asyncio.wait_for(process.stderr.readline(), timeout=60)
        assert b"another host is migrating; waiting" in line
        assert process.returncode is None and await _tables(holder) == 0
        await holder.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
        await process.stderr.read()
        assert await asyncio.wait_for(process.wait(), timeout=120) == 0
        assert await holder.fetchval("SELECT count(*) FROM case_record") == 0
    finally:
        await holder.close()


def test_without_postgresql_it_is_plain_hcp_migrate(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(MIGRATE_LOCKED)],
        env={**os.environ, "HCP_DATABASE_URL": "", "HCP_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "migrations applied" in done.stdout
    assert (tmp_path / "hcp.sqlite3").exists()
