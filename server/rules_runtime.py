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
from redis.exceptions import RedisError

from rules import Engine, PolicyError

log = logging.getLogger("hcp.rules")
CHANNEL = "hcp:rules"


def file_stamp(path: Path) -> tuple[int, int] | None:
    """What tells an edited file: modification time and size (None while it is missing)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def reload_from_file(engine: Engine, path: Path) -> bool:
    """Reload if valid; an invalid file is refused with its problems and the old policy
    keeps serving."""
    try:
        changed = engine.reload(path)
    except PolicyError as exc:
        log.warning("rules file refused, still serving %s:\n%s", engine.version, exc)
        return False
    if changed:
        log.info("rules reloaded: now serving %s", engine.version)
    return changed


class RulesFileWatch:
    """Reloads the engine when the rules file changes; shared by the server and the worker."""

    def __init__(self, engine: Engine, path: Path) -> None:
        self.engine = engine
        self.path = path
        self._last = file_stamp(path)

    def poll(self) -> None:
        stamp = file_stamp(self.path)
        if stamp == self._last:
            return
        self._last = stamp
        try:
            reload_from_file(self.engine, self.path)
        except Exception:  # a watcher that dies would silently freeze the policy
            log.exception("rules reload failed unexpectedly; still serving %s", self.engine.version)


async def watch_file(engine: Engine, path: Path, interval: float) -> None:
    watch = RulesFileWatch(engine, path)
    while True:
        await asyncio.sleep(interval)
        watch.poll()


class RulesBroadcast:
    """Redis pub/sub between workers: a publish carries the policy text, a reload asks each
    worker to re-read its file."""

    def __init__(self, redis: Redis, engine: Engine, path: Path) -> None:
        self.redis = redis
        self.engine = engine
        self.path = path
        self.origin = uuid.uuid4().hex

    async def announce_publish(self, text: str) -> None:
        await self.redis.publish(CHANNEL, json.dumps({"origin": self.origin, "text": text}))

    async def listen(self, ready: asyncio.Event | None = None) -> None:
        """Follow the channel for the process's life, resubscribing after a Redis outage."""
        while True:
            try:
                await self._follow(ready)
            except RedisError as exc:
                log.warning("rules channel lost (%s); resubscribing", type(exc).__name__)
                ready = None
                await asyncio.sleep(1)

    async def _follow(self, ready: asyncio.Event | None) -> None:
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(CHANNEL)
        if ready is not None:
            ready.set()
        try:
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    self._apply(message["data"])
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _apply(self, raw: bytes | str) -> None:
        try:
            body = json.loads(raw)
        except (ValueError, TypeError):
            log.warning("ignored a malformed message on %s", CHANNEL)
            return
        if body.get("origin") == self.origin:
            return
        if body.get("reload"):
            reload_from_file(self.engine, self.path)
            return
        try:
            if self.engine.publish(str(body.get("text", "")), name="<broadcast>"):
                log.info("rules switched by broadcast: now serving %s", self.engine.version)
        except PolicyError as exc:
            log.warning("broadcast rules refused, still serving %s:\n%s", self.engine.version, exc)


async def request_reload(redis: Redis) -> int:
    """`hcp rules reload`: ask every worker to re-read its rules file; returns listeners."""
    receivers: int = await redis.publish(CHANNEL, json.dumps({"origin": "cli", "reload": True}))
    return receivers
