"""With HCP_REDIS_URL the service connects to Redis at start-up and reports it."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from server.app import StartupError, create_app
from tests.conftest import REDIS_URL, make_settings, require

pytestmark = pytest.mark.redis


async def test_health_reports_redis_when_configured(tmp_path: Path) -> None:
    url = require(REDIS_URL, "HCP_TEST_REDIS_URL")
    app = create_app(make_settings(tmp_path, f"sqlite://{tmp_path}/h.sqlite3", redis_url=url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hcp.test") as client:
            body = (await client.get("/healthz")).json()
    assert body == {"status": "ok", "database": "ok", "redis": "ok", "worker": os.getpid()}


async def test_an_unreachable_redis_stops_start_up(tmp_path: Path) -> None:
    require(REDIS_URL, "HCP_TEST_REDIS_URL")
    app = create_app(
        make_settings(tmp_path, f"sqlite://{tmp_path}/h.sqlite3", redis_url="redis://127.0.0.1:9/0")
    )
    with pytest.raises(StartupError, match="Redis does not answer"):
        async with app.router.lifespan_context(app):
            pass
