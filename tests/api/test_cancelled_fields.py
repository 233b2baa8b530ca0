"""A statement, once started, runs to its end even if its caller is cancelled (models.db
to_the_end). GraphQL cancels the fields still running once one field of the selection fails
(graphql-core's gather_with_cancel); a statement cancelled there between asyncpg's Parse and
Bind left its backend waiting, with the tables' locks held, for a Bind that never came: the
PostgreSQL fuzz (tests/api/test_fuzz.py), run after the other API tests, then hung in the
next TRUNCATE. Here the caller is cancelled in the middle of a statement that takes 0.3 s:
the cancellation reaches it only once the statement is over, and the connection is clean."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest

from models.db import connection, fetch
from tests.conftest import Api

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


@pytest.fixture
async def admin(api: Api) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(api.settings.database_url)
    try:
        yield conn
    finally:
        await conn.close()


async def test_a_cancelled_caller_waits_for_its_statement_to_end(
    api: Api, admin: asyncpg.Connection
) -> None:
    started = time.monotonic()
    task = asyncio.ensure_future(fetch(connection(), "SELECT pg_sleep(0.3) IS NULL AS slept"))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started >= 0.3  # the statement ran to its end
    busy = await admin.fetch(
        "SELECT pid, state, wait_event FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid() AND (state = 'active' OR state LIKE 'idle in transaction%')"
    )
    assert [dict(r) for r in busy] == []
    async with admin.transaction():  # no lock left behind
        await admin.execute("SET LOCAL lock_timeout = '2s'")
        await admin.execute("LOCK TABLE case_record IN ACCESS EXCLUSIVE MODE")
    assert await fetch(connection(), "SELECT 1 AS one") == [{"one": 1}]
