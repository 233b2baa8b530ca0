"""Opening the database and applying the committed migrations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tortoise import Tortoise
from tortoise.migrations.api import migrate as apply_migrations

from models.db import tortoise_config
from server.settings import Settings


def _ensure_sqlite_dir(settings: Settings) -> None:
    if settings.database_url.startswith("sqlite://") and ":memory:" not in settings.database_url:
        settings.var_dir.mkdir(parents=True, exist_ok=True)


async def migrate(settings: Settings) -> None:
    _ensure_sqlite_dir(settings)
    config = tortoise_config(settings.database_url)
    try:
        await apply_migrations(config=config)
    finally:
        await Tortoise.close_connections()


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[None]:
    _ensure_sqlite_dir(settings)
    await Tortoise.init(config=tortoise_config(settings.database_url), _enable_global_fallback=True)
    try:
        yield
    finally:
        await Tortoise.close_connections()
