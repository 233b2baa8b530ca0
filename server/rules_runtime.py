"""Keeping every worker on the same policy: watch the rules file (an edit goes through the
publishing gate, services.policy), and with Redis broadcast published or reloaded policies
so that all workers switch together. A publish waits until every worker listening has
switched, so the next request anywhere is served by the new policy."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from redis.asyncio import Redis
from tortoise.exceptions import OperationalError

from rules import PARSE_SECONDS, Engine, PolicyError, parse_bounded
from server.broker import follow
from server.redis_health import RedisHealth, RedisUnavailableError
from services.policy import adopt_at_start, adopt_file, switch_to_stored
from services.policy_gate import RulesRefusal

log = logging.getLogger("hcp.rules")
CHANNEL = "hcp:rules"
# How long a publish waits for the other workers to say they switched.
ACK_SECONDS = 5.0
_ACK_POLL = 0.02
Clock = Callable[[], datetime]


def file_stamp(path: Path) -> tuple[int, int] | None:
    """What tells an edited file: modification time and size (None while it is missing)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def reload_from_file(
    engine: Engine,
    path: Path,
    *,
    seconds: float = PARSE_SECONDS,
    clock: Clock = _utc_now,
    lang: str = "zh",
) -> bool:
    """Adopt the file if it passes the publishing gate; one that does not is refused with
    its problems or failed scenarios (logged) and the old policy keeps serving."""
    stamp = file_stamp(path)
    result = await adopt_file(
        engine,
        path,
        now=clock(),
        lang=lang,
        seconds=seconds,
        unchanged=lambda: file_stamp(path) == stamp,
    )
    if isinstance(result, RulesRefusal):
        log.warning(
            "rules file refused (%s), still serving %s:\n%s",
            result.code,
            engine.version,
            refusal_lines(result, lang),
        )
        return False
    if result:
        log.info("rules reloaded: now serving %s", engine.version)
    return result


async def adopt_rules_at_start(engine: Engine, path: Path, *, now: datetime, lang: str) -> None:
    """The stored versions at start-up (services.policy.adopt_at_start), for `hcp serve`'s
    workers and `hcp worker` alike."""
    try:
        refusal = await adopt_at_start(engine, path, now=now, lang=lang)
    except OperationalError:
        # Served before `hcp migrate` made the tables: the rules file serves alone, with
        # no versions kept, until the database is migrated.
        log.warning("the policy versions are not kept: the database is not migrated yet")
        return
    if refusal is not None:
        log.warning(
            "the rules file was refused at start-up (%s), serving the stored %s:\n%s",
            refusal.code,
            engine.version,
            refusal_lines(refusal, lang),
        )


def refusal_lines(refusal: RulesRefusal, lang: str) -> str:
    """The problems, or the names and failures of the failed scenarios, one per line."""
    lines = [p.line_text(lang) for p in refusal.problems]
    for result in refusal.failed:
        lines.append(f"FAIL {result.name}")
        lines += [f"     {failure}" for failure in result.failures]
    return "\n".join(lines) or refusal.code


class RulesFileWatch:
    """Reloads the engine when the rules file changes; shared by the server and the worker."""

    def __init__(
        self,
        engine: Engine,
        path: Path,
        *,
        seconds: float = PARSE_SECONDS,
        clock: Clock = _utc_now,
        lang: str = "zh",
    ) -> None:
        self.engine = engine
        self.path = path
        self.seconds = seconds
        self.clock = clock
        self.lang = lang
        self._last = file_stamp(path)

    async def poll(self) -> None:
        stamp = file_stamp(self.path)
        if stamp == self._last:
            return
        self._last = stamp
        try:
            await reload_from_file(
                self.engine, self.path, seconds=self.seconds, clock=self.clock, lang=self.lang
            )
        except Exception:  # a watcher that dies would silently freeze the policy
            log.exception("rules reload failed unexpectedly; still serving %s", self.engine.version)


async def watch_file(watch: RulesFileWatch, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        await watch.poll()


class RulesBroadcast:
    """Redis pub/sub between workers: a publish carries the policy text, a reload asks each
    worker to re-read its file. Every listener acknowledges what it applied."""

    def __init__(
        self,
        redis: Redis,
        engine: Engine,
        path: Path,
        health: RedisHealth | None = None,
        *,
        clock: Clock = _utc_now,
        lang: str = "zh",
    ) -> None:
        self.redis = redis
        self.engine = engine
        self.path = path
        self.health = health or RedisHealth()
        self.clock = clock
        self.lang = lang
        self.origin = uuid.uuid4().hex

    async def announce_publish(self, text: str) -> int:
        """Tell the other workers and wait (up to ACK_SECONDS) until each has switched;
        returns how many did. With Redis unreachable they miss it, and pick the policy up
        from the rules file they watch when they share it (the publish wrote it)."""
        ack = f"{CHANNEL}:ack:{uuid.uuid4().hex}"
        message = json.dumps({"origin": self.origin, "text": text, "ack": ack})
        try:
            listeners = await self.health.call(lambda: self.redis.publish(CHANNEL, message))
            return await self._acknowledged(ack, int(listeners))
        except RedisUnavailableError:
            return 0

    async def _acknowledged(self, key: str, listeners: int) -> int:
        """Every listener, this worker's own included, acknowledges once."""
        deadline = time.monotonic() + ACK_SECONDS
        count = 0
        while time.monotonic() < deadline:
            count = int(await self.health.call(lambda: self.redis.llen(key)))
            if count >= listeners:
                break
            await asyncio.sleep(_ACK_POLL)
        with contextlib.suppress(RedisUnavailableError):
            await self.health.call(lambda: self.redis.delete(key))
        others = max(count - 1, 0)
        if count < listeners:
            log.warning("rules publish: %d of %d other workers confirmed", others, listeners - 1)
        return others

    async def listen(self, ready: asyncio.Event | None = None) -> None:
        """Follow the channel for the process's life, resubscribing after a Redis outage."""
        async for raw in follow(self.redis, CHANNEL, self.health, ready):
            await self._apply(raw)

    async def _apply(self, raw: bytes | str) -> None:
        try:
            body = json.loads(raw)
        except (ValueError, TypeError):
            log.warning("ignored a malformed message on %s", CHANNEL)
            return
        if not isinstance(body, dict):
            return
        try:
            if body.get("origin") != self.origin:
                await self._switch(body)
        except Exception:  # a listener that dies would leave this worker on the old policy
            log.exception(
                "rules broadcast failed unexpectedly; still serving %s", self.engine.version
            )
        finally:
            ack = body.get("ack")
            if isinstance(ack, str) and ack.startswith(f"{CHANNEL}:ack:"):
                with contextlib.suppress(RedisUnavailableError):
                    await self.health.call(lambda: self._acknowledge(ack))

    async def _acknowledge(self, key: str) -> None:
        await self.redis.rpush(key, self.origin)
        await self.redis.expire(key, int(ACK_SECONDS * 2))

    async def _switch(self, body: dict[str, object]) -> None:
        if body.get("reload"):
            await reload_from_file(self.engine, self.path, clock=self.clock, lang=self.lang)
            return
        try:
            source = await parse_bounded(str(body.get("text", "")), "<broadcast>")
        except PolicyError as exc:
            log.warning("broadcast rules refused, still serving %s:\n%s", self.engine.version, exc)
            return
        # The publisher stored it first: the stored history says which versions judge the
        # older cases. Without it (nothing stored), the text alone.
        await switch_to_stored(self.engine, source)
        if self.engine.source.digest != source.digest:
            self.engine.replace(source)
        log.info("rules switched by broadcast: now serving %s", self.engine.version)


async def request_reload(redis: Redis) -> int:
    """`hcp rules reload`: ask every worker to re-read its rules file; returns listeners."""
    receivers: int = await redis.publish(CHANNEL, json.dumps({"origin": "cli", "reload": True}))
    return receivers
