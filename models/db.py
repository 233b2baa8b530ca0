"""Database wiring: the Tortoise config, and a thin SQL helper for set-based statements.

Hot paths (intake, "my cases") are written as SQL through Tortoise's own connection:
placeholders are written `?` and turned into `$n` for PostgreSQL.
"""

from __future__ import annotations

import asyncio
import re
import socket
import sqlite3
import traceback
from collections.abc import Awaitable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import asyncpg
from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.exceptions import IntegrityError, OperationalError

MODEL_MODULES = [
    "models.reference",
    "models.case",
    "models.rating",
    "models.audit",
    "models.work_item",
    "models.reminder",
    "models.operations",
    "models.policy_versions",
    "models.stats",
]
MIGRATIONS = "models.migrations"
_T = TypeVar("_T")


# The joins in our SQL are written in the order they should run (the case first, then the
# small reference tables). Letting PostgreSQL search join orders for the nine-table "my
# cases" query cost ~5.5 ms of planning per custom plan against ~0.5 ms of execution.
POSTGRES_SETTINGS = {"join_collapse_limit": "1"}


async def _reset_pooled(conn: Any) -> None:
    """What a connection goes back to the pool with. asyncpg's default runs
    `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` on every release:
    one more round trip for every statement run outside a transaction (0.44 ms instead of
    0.17 ms for a `SELECT 1` here). We keep no session state (no SET, LISTEN, cursors or
    session advisory locks; settings are startup parameters), so only an open transaction
    left by a failure needs undoing."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


def tortoise_config(database_url: str) -> dict[str, Any]:
    url = re.sub(r"^postgresql://", "postgres://", database_url)
    connection: str | dict[str, Any] = url
    if url.startswith("postgres://"):
        expanded = expand_db_url(url)
        expanded["credentials"]["server_settings"] = dict(POSTGRES_SETTINGS)
        expanded["credentials"]["reset"] = _reset_pooled
        connection = expanded
    return {
        "connections": {"default": connection},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": MIGRATIONS,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# The connection to the database went away under a statement (the backend was terminated,
# the server restarts or fails over, the network dropped): the work was not done and a
# retry on another connection can succeed. The pool opens a new connection for the next
# request by itself.
_LOST = (
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08, and "connection closed mid-way"
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
)
# Reset, refused, broken pipe (Tortoise's DBConnectionError too), a timeout, a name that
# does not resolve: the database's only when raised in the database's code, not a timeout
# or a refused connection of some other service a request happened to call.
_NETWORK = (ConnectionError, TimeoutError, socket.gaierror)
_DATABASE_CODE = ("asyncpg", "tortoise", "aiosqlite", "models.")


def connection_lost(error: BaseException) -> bool:
    """Whether `error`, or an error it was raised while handling (a rollback on the dead
    connection fails again), is the database connection going away."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _LOST) or _closed_interface(current):
            return True
        if isinstance(current, _NETWORK) and _raised_in_database(current):
            return True
        # `raise … from None` says the earlier error is not this one's story.
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return False


def _raised_in_database(error: BaseException) -> bool:
    frames = traceback.walk_tb(error.__traceback__)
    return any(
        str(frame.f_globals.get("__name__", "")).startswith(_DATABASE_CODE) for frame, _ in frames
    )


def _closed_interface(error: BaseException) -> bool:
    # asyncpg says "connection is closed" / "the underlying connection is closed" with a
    # plain InterfaceError, which it also uses for misuse that is a bug.
    return isinstance(error, asyncpg.InterfaceError) and str(error).endswith("closed")


def connection() -> BaseDBAsyncClient:
    client: BaseDBAsyncClient = connections.get("default")
    return client


def dialect(conn: BaseDBAsyncClient) -> str:
    return str(conn.capabilities.dialect)


_PLACEHOLDER = re.compile(r"\?")


def prepare(conn: BaseDBAsyncClient, sql: str) -> str:
    return numbered(sql) if dialect(conn) == "postgres" else sql


def numbered(sql: str) -> str:
    """`?` placeholders as PostgreSQL's `$1`, `$2`, ..."""
    counter = iter(range(1, 1_000_000))
    return _PLACEHOLDER.sub(lambda _m: f"${next(counter)}", sql)


async def to_the_end(work: Awaitable[_T]) -> _T:
    """Await a statement that, once started, runs to its end even if the caller is
    cancelled meanwhile; the caller's cancellation is raised when it has.

    A GraphQL request cancels its other fields still running when one field fails
    (graphql-core's gather_with_cancel); a statement cancelled there, between asyncpg's
    Parse and Bind, left its PostgreSQL backend waiting for the rest with the tables' locks
    held (a TRUNCATE or a migration then waited for ever) and its pooled connection unusable
    (tests/api/test_cancelled_fields.py). Statements here are short; waiting for one costs
    less than a connection lost."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        if not task.cancelled():
            task.exception()  # retrieved: the caller is cancelled, its outcome is not wanted
        raise


async def fetch(
    conn: BaseDBAsyncClient, sql: str, args: Sequence[Any] = ()
) -> list[dict[str, Any]]:
    return await to_the_end(conn.execute_query_dict(prepare(conn, sql), list(args)))


async def execute(conn: BaseDBAsyncClient, sql: str, args: Sequence[Any] = ()) -> int:
    """Run `sql`; the rows it changed (a SELECT: the rows it found)."""
    if dialect(conn) == "sqlite":
        return await to_the_end(_sqlite_execute(conn, sql, list(args)))
    count, _rows = await to_the_end(conn.execute_query(prepare(conn, sql), list(args)))
    return int(count)


async def _sqlite_execute(conn: BaseDBAsyncClient, sql: str, args: list[Any]) -> int:
    """Tortoise counts what the whole connection changed (total_changes), so the rows a
    trigger writes (the statistics' marks, migration 0013) would add to what an UPDATE
    reports; SQLite's changes() is the statement's own rows."""
    try:
        async with conn.acquire_connection() as connection:
            before = connection.total_changes
            rows = await connection.execute_fetchall(sql, args)
            if connection.total_changes == before:
                return len(rows)  # a SELECT, or a change of nothing
            own = await connection.execute_fetchall("SELECT changes()")
            return int(next(iter(own))[0])
    except sqlite3.IntegrityError as exc:
        raise IntegrityError(exc) from exc
    except sqlite3.OperationalError as exc:
        raise OperationalError(exc) from exc


async def ping() -> None:
    """One round trip to the database (health checks)."""
    await fetch(connection(), "SELECT 1 AS ok")


def values_rows(width: int, count: int) -> str:
    """`(?, ?), (?, ?)` for a multi-row VALUES list."""
    row = "(" + ", ".join("?" * width) + ")"
    return ", ".join([row] * count)


def row_source(
    conn: BaseDBAsyncClient, types: Sequence[str], rows: Sequence[Sequence[Any]]
) -> tuple[str, list[Any]]:
    """What an `INSERT INTO t (cols) <source>` reads many rows from: one array per column
    through unnest() on PostgreSQL (a dozen parameters, one cached plan, instead of one
    parameter per value), a VALUES list on SQLite. `types` are PostgreSQL type names."""
    if dialect(conn) == "postgres":
        columns = [list(column) for column in zip(*rows, strict=True)]
        return unnest_source(types), columns
    return f"VALUES {values_rows(len(types), len(rows))}", [v for row in rows for v in row]


def unnest_source(types: Sequence[str]) -> str:
    """PostgreSQL's row source for row_source(): one array parameter per column."""
    arrays = ", ".join(f"?::{pg_type}[]" for pg_type in types)
    return f"SELECT * FROM unnest({arrays})"  # noqa: S608 - types are ours


def as_utc(value: datetime | str | None) -> datetime | None:
    """Read back a timestamp: PostgreSQL gives datetimes, SQLite gives ISO text."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
