"""Keeping every worker on the same policy: watch the rules file, and with Redis broadcast
published or reloaded policies so that all workers switch together."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from pathlib import Path

from redis.asyncio import Redis

from rules import PARSE_SECONDS, Engine, PolicyError, load_bounded, parse_bounded
from server.broker import follow
from server.redis_health import RedisHealth, RedisUnavailableError

log = logging.getLogger("hcp.rules")
CHANNEL = "hcp:rules"


def file_stamp(path: Path) -> tuple[int, int] | None:
    """What tells an edited file: modification time and size (None while it is missing)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


async def reload_from_file(engine: Engine, path: Path, *, seconds: float = PARSE_SECONDS) -> bool:
    """Reload if valid; an invalid file is refused with its problems and the old policy
    keeps serving. The file is read and validated on a worker thread under a time limit:
    whoever can write it must not stall the event loop. Compiling the validated policy
    stays on the loop: it takes about 2 ms whatever the file holds."""
    stamp = file_stamp(path)
    try:
        source = await load_bounded(path, seconds=seconds)
    except PolicyError as exc:
        log.warning("rules file refused, still serving %s:\n%s", engine.version, exc)
        return False
    if file_stamp(path) != stamp:
        # Rewritten while it was read (publishRules writes it, then switches at once): what
        # was read may be older than the running policy. The watcher reads the new file.
        return False
    changed = engine.replace(source)
    if changed:
        log.info("rules reloaded: now serving %s", engine.version)
    return changed


class RulesFileWatch:
    """Reloads the engine when the rules file changes; shared by the server and the worker."""

    def __init__(self, engine: Engine, path: Path, *, seconds: float = PARSE_SECONDS) -> None:
        self.engine = engine
        self.path = path
        self.seconds = seconds
        self._last = file_stamp(path)

    async def poll(self) -> None:
        stamp = file_stamp(self.path)
        if stamp == self._last:
            return
        self._last = stamp
        try:
            await reload_from_file(self.engine, self.path, seconds=self.seconds)
        except Exception:  # a watcher that dies would silently freeze the policy
            log.exception("rules reload failed unexpectedly; still serving %s", self.engine.version)


async def watch_file(engine: Engine, path: Path, interval: float) -> None:
    watch = RulesFileWatch(engine, path)
    while True:
        await asyncio.sleep(interval)
        await watch.poll()


class RulesBroadcast:
    """Redis pub/sub between workers: a publish carries the policy text, a reload asks each
    worker to re-read its file."""

    def __init__(
        self, redis: Redis, engine: Engine, path: Path, health: RedisHealth | None = None
    ) -> None:
        self.redis = redis
        self.engine = engine
        self.path = path
        self.health = health or RedisHealth()
        self.origin = uuid.uuid4().hex

    async def announce_publish(self, text: str) -> None:
        """Tell the other workers; with Redis unreachable they miss it, and pick the policy
        up from the rules file they watch when they share it (the publish wrote it)."""
        message = json.dumps({"origin": self.origin, "text": text})
        with contextlib.suppress(RedisUnavailableError):
            await self.health.call(lambda: self.redis.publish(CHANNEL, message))

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
        if body.get("origin") == self.origin:
            return
        if body.get("reload"):
            await reload_from_file(self.engine, self.path)
            return
        try:
            source = await parse_bounded(str(body.get("text", "")), "<broadcast>")
            if self.engine.replace(source):
                log.info("rules switched by broadcast: now serving %s", self.engine.version)
        except PolicyError as exc:
            log.warning("broadcast rules refused, still serving %s:\n%s", self.engine.version, exc)


async def request_reload(redis: Redis) -> int:
    """`hcp rules reload`: ask every worker to re-read its rules file; returns listeners."""
    receivers: int = await redis.publish(CHANNEL, json.dumps({"origin": "cli", "reload": True}))
    return receivers
