"""Shared fixtures: one real app per database backend, driven over ASGI.

SQLite always runs. PostgreSQL and Redis run when HCP_TEST_POSTGRES_URL / HCP_TEST_REDIS_URL
are set; with CI=true a missing or unreachable service fails the run instead of skipping.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import functools
import logging
import os
import shutil
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from tortoise.backends.base.executor import EXECUTOR_CACHE

from models.db import connection, execute, fetch
from models.reference import Region
from rules import Source, parse
from rules.scenarios import scenarios_path
from server.app import create_app
from server.auth import mint
from server.database import migrate
from server.settings import Settings
from server.state import app_state
from tests.factories import INGEST
from tests.hang_watch import HangWatch, limit_from_env
from tests.privacy_guard import PROBE_LOGGER, PersonalDataCapture

PG_URL = os.environ.get("HCP_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("HCP_TEST_REDIS_URL")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SECRET = "test-secret-" + "x" * 32
DATA_KEY = "t1:" + base64.b64encode(b"k" * 32).decode()
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SMS_SECRET = "test-sms-inbound-secret"

BACKENDS = ["sqlite", "postgres"]
# Searches every log record of the run for the fixtures' personal data (tests/privacy_guard.py).
_PRIVACY = PersonalDataCapture(skip=(PROBE_LOGGER,))


def _capture_logs() -> None:
    root = logging.getLogger()
    root.addHandler(_PRIVACY)
    root.setLevel(logging.DEBUG)
    # httpx logs each request line of the in-process test client (URLs the tests build,
    # query strings included): the tests' own client, not the product's logs.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    logging.getLogger().removeHandler(_PRIVACY)
    if _PRIVACY.hits:
        lines = "\n  ".join(sorted(set(_PRIVACY.hits)))
        sys.stderr.write(f"\npersonal data found in the logs of this run:\n  {lines}\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_configure(config: pytest.Config) -> None:
    _capture_logs()
    config.pluginmanager.register(HangWatch(limit_from_env()), "hang_watch")
    if IN_CI and not (PG_URL and REDIS_URL):
        raise pytest.UsageError(
            "CI must set HCP_TEST_POSTGRES_URL and HCP_TEST_REDIS_URL: those suites may not skip"
        )


def require(url: str | None, name: str) -> str:
    if url:
        return url
    pytest.skip(f"{name} not set (CI sets it)")


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


ROOT = Path(__file__).resolve().parents[1]


# /healthz's "sweep" of a test app (make_settings: sweep_mode "worker") before any pass.
NO_SWEEP = {"lastCompleted": None, "leader": None, "mode": "worker"}


def make_settings(tmp: Path, database_url: str, **extra: Any) -> Settings:
    """Settings for one app under test; its rules file is a private copy of rules.yaml."""
    rules_path = tmp / "rules.yaml"
    if not rules_path.exists():
        shutil.copyfile(ROOT / "rules.yaml", rules_path)
    scenarios = tmp / "rules_test.yaml"
    if not scenarios.exists():
        shutil.copyfile(ROOT / "rules_test.yaml", scenarios)
    values: dict[str, Any] = {
        "database_url": database_url,
        "redis_url": None,
        "rules_path": rules_path,
        "env": "dev",
        "jwt_secret": SECRET,
        "jwt_public_key": None,
        "jwt_issuer": None,
        "jwt_audience": None,
        "data_key": DATA_KEY,
        "var_dir": tmp,
        "rules_poll_seconds": 0.05,
        "sms_inbound_secret": SMS_SECRET,
        # Tests sweep themselves, as of the test's clock; an app sweeping by the wall
        # clock behind them would change what they look at.
        "sweep_mode": "worker",
    }
    values.update(extra)
    return Settings(**values)


def _in_thread(coro: Any) -> Any:
    """Run a coroutine to completion outside the session's event loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _admin(base: str, statement: str) -> None:
    conn = await asyncpg.connect(base)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@contextlib.contextmanager
def new_postgres_database(prefix: str = "hcp_test") -> Iterator[str]:
    """A new, empty PostgreSQL database with a unique name; dropped afterwards (even when
    something still holds a connection to it)."""
    base = require(PG_URL, "HCP_TEST_POSTGRES_URL")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _in_thread(_admin(base, f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit(urlsplit(base)._replace(path=f"/{name}"))
    finally:
        _in_thread(_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh database per backend: an SQLite file, or a throw-away PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path_factory.mktemp('sqlite')}/test.sqlite3"
        return
    with new_postgres_database() as url:
        yield url


@dataclass
class Api:
    """A running app plus helpers to call it the way clients do."""

    app: Starlette
    client: httpx.AsyncClient
    settings: Settings
    clock: Clock
    backend: str
    tokens: dict[str, str] = field(default_factory=dict)

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def ingest(self, *cases: dict[str, Any]) -> None:
        """Cases in through ingestCases as the business systems send them; all accepted."""
        body = await self.gql(INGEST, {"cases": list(cases)}, token("system"))
        assert body["data"]["ingestCases"]["rejectedCount"] == 0, body


@contextlib.asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[str]:
    """`app` behind a real uvicorn socket in the test's own event loop (its lifespan is the
    caller's business); yields `host:port`."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def token(role: str, ttl: timedelta = timedelta(hours=1), **claims: Any) -> str:
    return mint(SECRET, {"sub": f"test-{role}", "role": role, **claims}, ttl=ttl)


def citizen(person: dict[str, Any]) -> str:
    """The real-name token of one of the fixtures' people (tests.factories)."""
    return token("citizen", id_number=person["idNumber"], name=person["name"])


async def _reset_tables() -> None:
    conn = connection()
    tables = [
        "audit_log",
        "work_item_event",
        "evidence",
        "work_item",
        "reminder_call",
        "rating",
        "rating_request",
        "sms_outbox",
        "pad_pairing_code",
        "pad_session",
        "case_record",
        "applicant",
        "batch",
        "integrated_service",
        "staff_window",
        "service_window",
        "staff",
        "matter",
        "department",
        "hall",
        "region",
        "job_run",
        "key_custody",
        "stat_daily",
        "stat_monthly",
        "stat_daily_window",
        "stat_monthly_window",
        "stat_dirty",
        "policy_activation",
        "policy_version",
    ]
    if conn.capabilities.dialect == "postgres":
        await execute(conn, f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    else:
        # The audit log refuses DELETE (migration 0005); between tests it is emptied with
        # its triggers lifted for the moment, then put back exactly as migrated.
        triggers = await fetch(conn, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        for row in triggers:
            await execute(conn, f'DROP TRIGGER "{row["name"]}"')
        await execute(conn, "UPDATE region SET parent_id = NULL")
        for table in tables:
            await execute(conn, f"DELETE FROM {table}")
        for row in triggers:
            await conn.execute_script(row["sql"])


async def seed_regions() -> None:
    city = await Region.create(code="330200", name="宁波市")
    district = await Region.create(code="330283", name="宁波市奉化区", parent=city)
    await Region.create(code="330283100", name="溪口镇", parent=district)
    other = await Region.create(code="330300", name="温州市")
    await Region.create(code="330302", name="鹿城区", parent=other)


@pytest.fixture(scope="session")
async def running_app(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Api]:
    settings = make_settings(tmp_path_factory.mktemp("var"), database_url)
    await migrate(settings)
    clock = Clock()
    app = create_app(settings, clock=clock)
    backend = "postgres" if database_url.startswith("postgres") else "sqlite"
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://hcp.test") as client:
                yield Api(app, client, settings, clock, backend)
    finally:
        # Tortoise caches INSERT statements per connection name for the process's life; the
        # suite switches dialect under the same name, which a service process never does.
        EXECUTOR_CACHE.clear()


@pytest.fixture
async def api(running_app: Api) -> AsyncIterator[Api]:
    """The app of the current backend, with empty tables plus regions and a reset clock."""
    await _reset_tables()
    await seed_regions()
    running_app.clock.now = NOW
    # The anti-abuse counts of earlier tests (the clock is the same fixed moment in every
    # test, so they would all share one counting window).
    app_state(running_app.app).collaborators.counters.clear()
    # The public page's answers of earlier tests (same clock, same keys).
    app_state(running_app.app).public.clear()
    await _restore_policy(running_app)
    yield running_app


async def _restore_policy(api: Api) -> None:
    """Every test starts on rules.yaml and its scenarios, with no stored history (the
    tables were just emptied), whatever an earlier test published."""
    engine = app_state(api.app).collaborators.engine
    template = _template()
    path = api.settings.rules_path
    if engine.source.digest != template.digest or len(engine.timeline) > 1:
        # The engine first: the file watcher then finds the file it serves, and stores
        # nothing behind the test's back.
        engine.replace(template, history=())
        shutil.copyfile(ROOT / "rules_test.yaml", scenarios_path(path))
        path.write_text(template.text, encoding="utf-8")


@functools.cache
def _template() -> Source:
    return parse((ROOT / "rules.yaml").read_text(encoding="utf-8"))


@pytest.fixture
async def live_url(api: Api) -> AsyncIterator[str]:
    """The suite's app behind a real uvicorn socket, in the test's own event loop."""
    async with serving(api.app) as where:
        yield where


@pytest.fixture
def system_token() -> str:
    return token("system")
