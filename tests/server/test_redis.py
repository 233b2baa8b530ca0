"""With HCP_REDIS_URL the service connects to Redis at start-up and reports it; without an
answer it starts degraded."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import httpx
import pytest

from server.app import create_app
from tests.conftest import NO_SWEEP, REDIS_URL, make_settings, require

pytestmark = pytest.mark.redis


async def test_health_reports_redis_when_configured(tmp_path: Path) -> None:
    url = require(REDIS_URL, "HCP_TEST_REDIS_URL")
    app = create_app(make_settings(tmp_path, f"sqlite://{tmp_path}/h.sqlite3", redis_url=url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hcp.test") as client:
            body = (await client.get("/healthz")).json()
    assert body == {
        "status": "ok",
        "database": "ok",
        "redis": "ok",
        "worker": os.getpid(),
        "sweep": NO_SWEEP,
    }


async def test_a_worker_started_while_redis_is_down_serves_degraded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A deploy or a restarted worker during a Redis outage must not take capacity away:
    it serves (ratings counted per process), says so once and in /healthz."""
    require(REDIS_URL, "HCP_TEST_REDIS_URL")
    settings = make_settings(
        tmp_path, f"sqlite://{tmp_path}/h.sqlite3", redis_url="redis://127.0.0.1:9/0"
    )
    app = create_app(settings)
    started = time.monotonic()
    async with app.router.lifespan_context(app):
        assert time.monotonic() - started < 5
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hcp.test") as client:
            response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["redis"] == "unreachable"
    lost = [r for r in caplog.records if r.name == "hcp.redis" and r.levelno == logging.WARNING]
    assert len(lost) == 1 and lost[0].exc_info is None
