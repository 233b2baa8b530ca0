"""A PostgreSQL connection dropped under a request (the backend terminated, as a failover or
an administrator does) answers a retryable UNAVAILABLE, not INTERNAL, logs no traceback,
and the next request succeeds on a fresh pooled connection.

Only the backends of this test run's own database are terminated (tests/conftest.py
creates it), and only the one serving the request under test.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from tests.conftest import Api, citizen
from tests.factories import WANG, case_input

SUBMIT = """
mutation($input: RatingInput!) {
  submitRating(input: $input) { __typename ... on RatingRejected { code } }
}
"""
MY_CASES = "{ myCases(first: 5) { totalCount } }"
UNAVAILABLE = {"message": "service temporarily unavailable, retry", "code": "UNAVAILABLE"}
# Terminating a server backend is PostgreSQL's: these run on that backend only (not as
# skipped SQLite variants).
pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


@pytest.fixture
async def admin(api: Api) -> AsyncIterator[asyncpg.Connection]:
    assert api.backend == "postgres"
    conn = await asyncpg.connect(api.settings.database_url)
    try:
        yield conn
    finally:
        await conn.close()


async def _terminate_waiting_backend(admin: asyncpg.Connection) -> None:
    """Terminate the backend of this database that waits on the lock `admin` holds."""
    deadline = time.monotonic() + 10
    while True:
        pids = await admin.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        if pids:
            break
        assert time.monotonic() < deadline, "the request never waited on the lock"
        await asyncio.sleep(0.02)
    assert len(pids) == 1
    assert await admin.fetchval("SELECT pg_terminate_backend($1)", pids[0]["pid"])


def _error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    error = body["errors"][0]
    return {"message": error["message"], "code": error["extensions"]["code"]}


async def _rate(api: Api) -> dict[str, Any]:
    variables = {"input": {"caseNo": "C-1", "level": 5, "channel": "APP"}}
    return await api.gql(SUBMIT, variables, citizen(WANG))


async def test_a_rating_whose_connection_drops_is_unavailable_then_succeeds(
    api: Api, admin: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    await api.ingest(case_input("C-1"))
    async with admin.transaction():
        await admin.execute("SELECT 1 FROM case_record WHERE case_no = 'C-1' FOR UPDATE")
        rating = asyncio.create_task(_rate(api))
        await _terminate_waiting_backend(admin)
        body = await rating
    assert _error(body) == UNAVAILABLE
    assert body["data"] is None
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    again = await _rate(api)
    assert again["data"]["submitRating"]["__typename"] == "RatingAccepted", again
    assert await admin.fetchval("SELECT COUNT(*) FROM rating") == 1


async def test_a_read_whose_connection_drops_is_unavailable_then_succeeds(
    api: Api, admin: asyncpg.Connection
) -> None:
    await api.ingest(case_input("C-1"))
    async with admin.transaction():
        await admin.execute("LOCK TABLE case_record IN ACCESS EXCLUSIVE MODE")
        reading = asyncio.create_task(api.gql(MY_CASES, token=citizen(WANG)))
        await _terminate_waiting_backend(admin)
        body = await reading
    assert _error(body) == UNAVAILABLE
    again = await api.gql(MY_CASES, token=citizen(WANG))
    assert again["data"]["myCases"]["totalCount"] == 1, again
