"""A PostgreSQL database of a benchmark's own beside the one it was given
(`<source>_<suffix>`): created fresh and migrated, then filled by the benchmark while open,
and dropped afterwards, so that no benchmark leaves rows in another's way."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import asyncpg
from tortoise import Tortoise
from tortoise.migrations.api import migrate as apply_migrations

from models.db import tortoise_config


@asynccontextmanager
async def scratch_database(source: str, suffix: str) -> AsyncIterator[str]:
    """Yields the new database's URL, migrated, with Tortoise's connections closed."""
    parts = urlsplit(source)
    url = parts._replace(path=f"{parts.path}_{suffix}").geturl()
    name = urlsplit(url).path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    await _admin(
        admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'
    )
    try:
        await apply_migrations(config=tortoise_config(url))
        await Tortoise.close_connections()
        yield url
    finally:
        await _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _admin(admin_url: str, *statements: str) -> None:
    admin = await asyncpg.connect(admin_url)
    try:
        for statement in statements:
            await admin.execute(statement)
    finally:
        await admin.close()
