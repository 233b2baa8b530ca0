"""Redis stalled, killed and restarted under the running service: ratings are still
accepted within the Redis timeout, reads and /healthz keep answering, the outage and the
recovery are logged once each, and nothing is lost or doubled.

Each test runs its own redis-server on a free port, so it can stop, kill and restart it
without touching the shared one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from redis.asyncio import Redis
from tortoise.backends.base.executor import EXECUTOR_CACHE

from models.db import connection, fetch
from rules import Engine
from server.app import create_app
from server.broker import RedisBroker
from server.database import migrate
from server.redis_health import RedisHealth
from server.rules_runtime import RulesBroadcast
from tests.conftest import (
    BACKENDS,
    IN_CI,
    PG_URL,
    ROOT,
    Api,
    Clock,
    _admin,
    citizen,
    make_settings,
    require,
    seed_regions,
    token,
)
from tests.factories import INGEST, WANG, case_input, person

TIMEOUT = 0.5  # HCP_REDIS_TIMEOUT_SECONDS for these apps
RETRY = 0.5  # HCP_REDIS_RETRY_SECONDS
BOUND = TIMEOUT + 1  # the longest any request may take while Redis misbehaves
SUBMIT = """
mutation($input: RatingInput!) {
  submitRating(input: $input) { __typename ... on RatingRejected { code } }
}
"""
MY_CASES = "{ myCases(first: 5) { totalCount nodes { caseNo } } }"


@dataclass
class RedisServer:
    """A redis-server of the test's own, on a port of its own."""

    binary: str
    port: int
    workdir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *(self.binary, "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.workdir)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self._answers():
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.02)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe:
                probe.sendall(b"PING\r\n")
                return probe.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def _signal(self, signum: int) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signum)

    def stall(self) -> None:
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()
        self.process = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        if IN_CI:
            pytest.fail("redis-server is not installed (CI needs it for the fault tests)")
        pytest.skip("redis-server is not installed")
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    server = RedisServer(binary, port, tmp_path)
    server.start()
    try:
        yield server
    finally:
        if server.process is not None:
            server.kill()


@dataclass
class Service:
    client: httpx.AsyncClient
    redis: RedisServer

    async def timed(self, call: Awaitable[httpx.Response]) -> tuple[float, httpx.Response]:
        started = time.monotonic()
        response = await call
        return time.monotonic() - started, response

    async def rate(self, who: dict[str, Any], case_no: str) -> tuple[float, dict[str, Any]]:
        elapsed, response = await self.timed(
            self.client.post(
                "/graphql",
                json={
                    "query": SUBMIT,
                    "variables": {"input": {"caseNo": case_no, "level": 5, "channel": "APP"}},
                },
                headers={"authorization": f"Bearer {citizen(who)}"},
            )
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return elapsed, body

    async def my_cases(self, who: dict[str, Any] = WANG) -> tuple[float, dict[str, Any]]:
        elapsed, response = await self.timed(
            self.client.post(
                "/graphql",
                json={"query": MY_CASES},
                headers={"authorization": f"Bearer {citizen(who)}"},
            )
        )
        body: dict[str, Any] = response.json()
        return elapsed, body

    async def health(self) -> tuple[float, int, dict[str, Any]]:
        elapsed, response = await self.timed(self.client.get("/healthz"))
        body: dict[str, Any] = response.json()
        return elapsed, response.status_code, body

    async def ingest(self, *cases: dict[str, Any]) -> None:
        response = await self.client.post(
            "/graphql",
            json={"query": INGEST, "variables": {"cases": list(cases)}},
            headers={"authorization": f"Bearer {token('system')}"},
        )
        assert response.json()["data"]["ingestCases"]["rejectedCount"] == 0, response.text


@pytest.fixture(params=BACKENDS)
async def own_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database of this test's own: on PostgreSQL the ratings wait on row locks and a
    pool of connections, which is where a wait on Redis inside a transaction hurt."""
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path}/faults.sqlite3"
        return
    base = require(PG_URL, "HCP_TEST_POSTGRES_URL")
    name = f"hcp_faults_{uuid.uuid4().hex[:10]}"
    await _admin(base, f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(base)._replace(path=f"/{name}"))
    finally:
        await _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def service(
    tmp_path: Path, own_database: str, redis_server: RedisServer
) -> AsyncIterator[Service]:
    settings = make_settings(
        tmp_path,
        own_database,
        redis_url=redis_server.url,
        redis_timeout_seconds=TIMEOUT,
        redis_retry_seconds=RETRY,
    )
    await migrate(settings)
    app = create_app(settings, clock=Clock())
    # Tortoise caches statements per connection name, and the suite's other apps use the
    # same name on another dialect (see tests/conftest.py).
    EXECUTOR_CACHE.clear()
    try:
        async with app.router.lifespan_context(app):
            await seed_regions()
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://hcp.test") as client:
                yield Service(client, redis_server)
            # A test that ends with Redis stopped must not leave the clean-up waiting.
            if redis_server.process is not None:
                redis_server.resume()
    finally:
        EXECUTOR_CACHE.clear()


def health() -> RedisHealth:
    return RedisHealth(timeout=TIMEOUT, retry_after=RETRY)


def accepted(body: dict[str, Any]) -> bool:
    return bool(body.get("data") and body["data"]["submitRating"]["__typename"] == "RatingAccepted")


def redis_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "hcp.redis"]


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "did not happen in time"
        await asyncio.sleep(0.05)


async def test_a_stalled_redis_costs_a_rating_no_more_than_the_timeout(service: Service) -> None:
    await service.ingest(case_input("C-1"), case_input("C-2"))
    service.redis.stall()
    for case_no in ("C-1", "C-2"):
        elapsed, body = await service.rate(WANG, case_no)
        assert accepted(body), body
        assert elapsed <= BOUND
    elapsed, body = await service.my_cases()
    assert body["data"]["myCases"]["totalCount"] == 2
    assert elapsed <= BOUND
    elapsed, status, health = await service.health()
    assert (status, health["status"], health["redis"]) == (200, "degraded", "unreachable")
    assert health["database"] == "ok"
    assert elapsed <= BOUND


async def test_a_dead_redis_is_logged_once_without_a_traceback(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    await service.ingest(*(case_input(f"C-{i}") for i in range(5)))
    service.redis.kill()
    for i in range(5):
        elapsed, body = await service.rate(WANG, f"C-{i}")
        assert accepted(body), body
        assert elapsed <= BOUND
        await service.health()
    lost = redis_records(caplog)
    assert [r.levelno for r in lost] == [logging.WARNING], [r.getMessage() for r in lost]
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_limits_still_hold_per_process_while_redis_is_down(service: Service) -> None:
    # rules.yaml: at most 20 ratings per rater within an hour.
    await service.ingest(*(case_input(f"C-{i}") for i in range(21)))
    service.redis.kill()
    answers = [(await service.rate(WANG, f"C-{i}"))[1] for i in range(21)]
    assert all(accepted(body) for body in answers[:20])
    refused = {"__typename": "RatingRejected", "code": "RATE_LIMITED"}
    assert answers[20]["data"]["submitRating"] == refused


async def test_after_a_restart_everything_is_back_and_logged_once(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    await service.ingest(*(case_input(f"C-{i}") for i in range(4)))
    service.redis.kill()
    assert accepted((await service.rate(WANG, "C-0"))[1])
    service.redis.start()

    async def healthy() -> bool:
        _elapsed, status, body = await service.health()
        return status == 200 and body["redis"] == "ok" and body["status"] == "ok"

    await until(healthy)
    for i in range(1, 4):
        elapsed, body = await service.rate(WANG, f"C-{i}")
        assert accepted(body), body
        assert elapsed <= BOUND
    assert [r.levelno for r in redis_records(caplog)] == [logging.WARNING, logging.INFO]
    redis = Redis.from_url(service.redis.url)
    try:
        assert await redis.keys("hcp:abuse:rating:per_rater:*"), "counting is back in Redis"
    finally:
        await redis.aclose()


async def test_pooled_connections_from_before_a_restart_fail_no_request(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    await service.ingest(*(case_input(f"C-{i}") for i in range(4)))
    for i in range(2):  # Redis's connections are pooled now
        assert accepted((await service.rate(WANG, f"C-{i}"))[1])
    service.redis.kill()
    service.redis.start()
    for i in range(2, 4):
        assert accepted((await service.rate(WANG, f"C-{i}"))[1])
    assert redis_records(caplog) == [], "a stale connection is replaced, Redis is not 'lost'"
    redis = Redis.from_url(service.redis.url)
    try:
        assert await redis.keys("hcp:abuse:rating:per_rater:*"), "counted in Redis, not aside"
    finally:
        await redis.aclose()


async def test_a_stall_under_load_loses_and_doubles_nothing(service: Service) -> None:
    """Waves of concurrent ratings (each by another citizen) before, during a 5 s stall and
    after it, with "my cases" and /healthz asked alongside."""
    raters = [person(i) for i in range(150)]
    await service.ingest(*(case_input(f"C-{i}", who) for i, who in enumerate(raters)))
    pending = iter(range(len(raters)))
    # How many waves fit in the stall depends on the machine's speed; the last wave's raters
    # are kept back so that a fast machine cannot run out of them.
    last_wave = 5
    latencies: list[float] = []
    answers: list[dict[str, Any]] = []

    async def wave(size: int) -> None:
        batch = [next(pending) for _ in range(size)]
        results = await asyncio.gather(
            *(service.rate(raters[i], f"C-{i}") for i in batch),
            service.my_cases(raters[batch[0]]),
            service.health(),
        )
        for result in results:
            latencies.append(result[0])
        answers.extend(body for _elapsed, body in results[:size])

    await wave(5)
    service.redis.stall()
    stalled_at = time.monotonic()
    while time.monotonic() - stalled_at < 5 and len(raters) - len(answers) > 5 + last_wave:
        await wave(5)
        await asyncio.sleep(0.2)
    assert time.monotonic() - stalled_at >= 5 - BOUND, "too few raters for the stall"
    service.redis.resume()
    await wave(last_wave)

    assert max(latencies) <= BOUND
    assert all(accepted(body) for body in answers), [b for b in answers if not accepted(b)]
    stored = await fetch(connection(), "SELECT case_id, COUNT(*) AS n FROM rating GROUP BY case_id")
    assert len(stored) == len(answers)
    assert {row["n"] for row in stored} == {1}


async def test_publishing_to_a_stalled_redis_neither_raises_nor_hangs(
    redis_server: RedisServer,
) -> None:
    redis = Redis.from_url(redis_server.url, socket_timeout=TIMEOUT)
    broker = RedisBroker(redis, health())
    try:
        redis_server.stall()
        started = time.monotonic()
        await broker.publish_many([("window:W-01", {"caseNo": "C-1"})])
        assert time.monotonic() - started <= BOUND
    finally:
        redis_server.resume()
        await redis.aclose()


async def _next(events: AsyncIterator[Any], publish: Callable[[], Awaitable[None]]) -> Any:
    """The next event, publishing again until a subscriber that is resubscribing hears one."""
    receiving = asyncio.ensure_future(anext(events))
    deadline = time.monotonic() + 15
    while not receiving.done():
        assert time.monotonic() < deadline, "the subscription did not come back"
        await publish()
        await asyncio.wait([receiving], timeout=0.1)
    return receiving.result()


async def test_window_subscriptions_come_back_after_a_restart(redis_server: RedisServer) -> None:
    redis = Redis.from_url(redis_server.url, socket_timeout=TIMEOUT, health_check_interval=1)
    broker = RedisBroker(redis, health())
    events = broker.subscribe("window:W-01")
    try:
        publish = lambda: broker.publish_many([("window:W-01", {"caseNo": "C-1"})])  # noqa: E731
        assert await _next(events, publish) == {"caseNo": "C-1"}
        redis_server.kill()
        redis_server.start()
        assert await _next(events, publish) == {"caseNo": "C-1"}
    finally:
        await events.aclose()  # type: ignore[attr-defined]
        await redis.aclose()


async def test_the_rules_broadcast_comes_back_after_a_restart(
    api: Api, redis_server: RedisServer, tmp_path: Path
) -> None:
    path = tmp_path / "rules.yaml"
    text = (ROOT / "rules.yaml").read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    clients = [Redis.from_url(redis_server.url, socket_timeout=TIMEOUT) for _ in range(2)]
    first, second = (RulesBroadcast(c, Engine.from_path(path), path, health()) for c in clients)
    ready = asyncio.Event()
    listening = asyncio.create_task(second.listen(ready))
    try:
        await ready.wait()
        redis_server.kill()
        new_text = text.replace("version: template-2026.1", "version: after-restart")
        first.engine.publish(new_text)
        await first.announce_publish(new_text)  # lost: Redis is down, and it does not raise
        redis_server.start()

        async def switched() -> bool:
            await first.announce_publish(new_text)
            return second.engine.policy.version == "after-restart"

        await until(switched, 15)
    finally:
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listening
        for client in clients:
            await client.aclose()
