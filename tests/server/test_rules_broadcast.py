"""With Redis, a policy published on one worker reaches every worker, and `hcp rules
reload` makes every worker re-read its file (through the publishing gate; the `api`
fixture gives them the database the versions are kept in)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from rules import Engine
from server.rules_runtime import RulesBroadcast, request_reload
from tests.conftest import REDIS_URL, ROOT, Api, require

pytestmark = pytest.mark.redis
TEXT = (ROOT / "rules.yaml").read_text(encoding="utf-8")


@contextlib.asynccontextmanager
async def worker(path: Path) -> AsyncIterator[RulesBroadcast]:
    redis = Redis.from_url(require(REDIS_URL, "HCP_TEST_REDIS_URL"))
    broadcast = RulesBroadcast(redis, Engine.from_path(path), path)
    ready = asyncio.Event()
    task = asyncio.create_task(broadcast.listen(ready))
    await ready.wait()
    try:
        yield broadcast
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await redis.aclose()


async def until(check: object, seconds: float = 5) -> None:
    for _ in range(int(seconds / 0.02)):
        if check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.02)
    raise AssertionError("did not happen in time")


async def test_a_publish_on_one_worker_switches_the_others(api: Api, tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(TEXT, encoding="utf-8")
    shutil.copyfile(ROOT / "rules_test.yaml", tmp_path / "rules_test.yaml")
    async with worker(path) as first, worker(path) as second:
        new_text = TEXT.replace("version: template-2026.1", "version: broadcast-test")
        first.engine.publish(new_text)
        await first.announce_publish(new_text)
        await until(lambda: second.engine.policy.version == "broadcast-test")
        assert second.engine.version == first.engine.version


async def test_an_invalid_broadcast_is_refused_and_the_old_policy_stays(
    api: Api, tmp_path: Path
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(TEXT, encoding="utf-8")
    shutil.copyfile(ROOT / "rules_test.yaml", tmp_path / "rules_test.yaml")
    async with worker(path) as first, worker(path) as second:
        before = second.engine.version
        await first.announce_publish("levels: [oops")
        await first.announce_publish(TEXT.replace("version: template-2026.1", "version: after"))
        await until(lambda: second.engine.policy.version == "after")
        assert before != second.engine.version


async def test_reload_requests_make_every_worker_reread_its_file(api: Api, tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(TEXT, encoding="utf-8")
    shutil.copyfile(ROOT / "rules_test.yaml", tmp_path / "rules_test.yaml")
    async with worker(path) as first, worker(path) as second:
        path.write_text(
            TEXT.replace("version: template-2026.1", "version: reread"), encoding="utf-8"
        )
        receivers = await request_reload(first.redis)
        assert receivers >= 2
        await until(lambda: first.engine.policy.version == second.engine.policy.version == "reread")
