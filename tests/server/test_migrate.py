"""`hcp migrate`, which every host's service runs before it starts (deploy/hcp.service):
several at once on one fresh PostgreSQL database all succeed and apply each migration once;
while another host holds the migration lock, a starting host waits instead of migrating
alongside it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from server.database import MIGRATION_LOCK
from tests.conftest import PG_URL, new_postgres_database, require

HCP = [sys.executable, "-m", "server.cli"]


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    with new_postgres_database("hcp_migrate") as url:
        yield url


async def _applied(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT name FROM tortoise_migrations ORDER BY name")
    finally:
        await conn.close()
    return [row["name"] for row in rows]


def test_three_hosts_migrating_one_database_at_once_all_succeed(
    fresh_postgres: str, tmp_path: Path
) -> None:
    env = {**os.environ, "HCP_DATABASE_URL": fresh_postgres, "HCP_VAR_DIR": str(tmp_path)}
    runs = [
        subprocess.Popen(
            [*HCP, "migrate"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        for _ in range(3)
    ]
    outputs = [run.communicate(timeout=120)[0].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    applied = asyncio.run(_applied(fresh_postgres))
    committed = sorted(p.stem for p in Path("models/migrations").glob("0*.py"))
    assert applied == committed


@pytest.mark.parametrize(
    ("path", "said"),
    [("127.0.0.1:1/hcp", "ConnectionRefusedError"), ("{pg}/hcp_no_such_db", "does not exist")],
)
def test_a_database_it_cannot_use_is_one_plain_line_not_a_traceback(
    path: str, said: str, tmp_path: Path
) -> None:
    pg = urlsplit(require(PG_URL, "HCP_TEST_POSTGRES_URL")).netloc.rsplit("@", 1)[-1]
    url = "postgres://hcp:secret-pw@" + path.format(pg=pg)
    env = {**os.environ, "HCP_DATABASE_URL": url, "HCP_VAR_DIR": str(tmp_path)}
    run = subprocess.run([*HCP, "migrate"], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr.startswith("hcp: cannot use the database ")
    assert said in run.stderr
    assert "Traceback" not in run.stderr and "secret-pw" not in run.stderr


async def _tables(conn: asyncpg.Connection) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
    return count


@pytest.mark.postgres
async def test_a_second_host_waits_for_the_migration_lock_then_migrates(
    fresh_postgres: str, tmp_path: Path
) -> None:
    holder = await asyncpg.connect(fresh_postgres)
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        process = await asyncio.create_subprocess_exec(
            *HCP,
            "migrate",
            env={**os.environ, "HCP_DATABASE_URL": fresh_postgres, "HCP_VAR_DIR": str(tmp_path)},
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
        )
        assert process.stderr is not None
        line = await asyncio.wait_for(process.stderr.readline(), timeout=60)
        assert b"another host is migrating this database; waiting" in line
        assert process.returncode is None and await _tables(holder) == 0
        await holder.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
        await process.stderr.read()
        assert await asyncio.wait_for(process.wait(), timeout=120) == 0
        assert await holder.fetchval("SELECT count(*) FROM case_record") == 0
    finally:
        await holder.close()


def test_without_postgresql_it_is_plain_hcp_migrate(tmp_path: Path) -> None:
    done = subprocess.run(
        [*HCP, "migrate"],
        env={**os.environ, "HCP_DATABASE_URL": "", "HCP_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "migrations applied" in done.stdout
    assert (tmp_path / "hcp.sqlite3").exists()
