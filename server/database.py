"""Opening the database and applying the committed migrations."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from tortoise import Tortoise
from tortoise.migrations.api import migrate as apply_migrations

from models.db import tortoise_config
from server.settings import Settings

log = logging.getLogger("hcp.migrate")


def _ensure_sqlite_dir(settings: Settings) -> None:
    if settings.database_url.startswith("sqlite://") and ":memory:" not in settings.database_url:
        settings.var_dir.mkdir(parents=True, exist_ok=True)


# The session-level advisory lock `hcp migrate` holds on PostgreSQL while it migrates
# (an arbitrary constant, "hcp-migr" in ASCII): every host's service runs `hcp migrate`
# before it starts, and two migrating one database at once would both create the same
# tables.
MIGRATION_LOCK = 0x6863702D6D696772


async def migrate(settings: Settings) -> None:
    """Apply the committed migrations; on PostgreSQL one process at a time, the others
    waiting, then finding nothing left to do."""
    _ensure_sqlite_dir(settings)
    config = tortoise_config(settings.database_url)
    url = re.sub(r"^postgresql://", "postgres://", settings.database_url)
    lock = await asyncpg.connect(url) if url.startswith("postgres://") else None
    try:
        if lock is not None and not await lock.fetchval(
            "SELECT pg_try_advisory_lock($1)", MIGRATION_LOCK
        ):
            log.info("another host is migrating this database; waiting for it")
            await lock.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        await apply_migrations(config=config)
    finally:
        await Tortoise.close_connections()
        if lock is not None:
            await lock.close()  # ends the session, and with it the lock


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[None]:
    _ensure_sqlite_dir(settings)
    await Tortoise.init(config=tortoise_config(settings.database_url), _enable_global_fallback=True)
    try:
        yield
    finally:
        await Tortoise.close_connections()
