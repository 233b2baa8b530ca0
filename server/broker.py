"""Event brokers: Redis pub/sub when several workers share the work, in-process otherwise."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis

from server.redis_health import FAILURES, RedisHealth, RedisUnavailableError, keeping_cancellation

QUEUE_LIMIT = 100  # a subscriber that stops reading loses old events, not memory


class LocalBroker:
    """One process: subscribers get a bounded queue each."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

    async def publish_many(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for topic, event in events:
            for queue in list(self._queues.get(topic, ())):
                if queue.full():
                    queue.get_nowait()
                queue.put_nowait(event)

    async def subscribe(self, topic: str) -> AsyncIterator[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_LIMIT)
        self._queues[topic].add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues[topic].discard(queue)


class RedisBroker:
    """Every worker: an event published by the worker that ingested the case reaches the
    pad connected to any other worker. While Redis is unreachable events are dropped (the
    pad shows nothing new until the next completion after Redis is back; the case can be
    rated by its QR code or in "my cases" meanwhile), and each subscription keeps trying
    to subscribe again, with back-off."""

    def __init__(
        self, redis: Redis, health: RedisHealth | None = None, prefix: str = "hcp:events:"
    ) -> None:
        self.redis = redis
        self.health = health or RedisHealth()
        self.prefix = prefix

    async def publish_many(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        """One round trip for a whole intake call's completions; never raises or waits
        longer than the Redis timeout (the intake itself is already stored)."""
        if not events:
            return
        with contextlib.suppress(RedisUnavailableError):
            await self.health.call(lambda: self._publish(events))

    async def _publish(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for topic, event in events:
                pipe.publish(self.prefix + topic, json.dumps(event, ensure_ascii=False))
            await pipe.execute()

    async def subscribe(self, topic: str) -> AsyncIterator[dict[str, Any]]:
        async for data in follow(self.redis, self.prefix + topic, self.health):
            yield json.loads(data)


async def follow(
    redis: Redis,
    channel: str,
    health: RedisHealth,
    ready: asyncio.Event | None = None,
) -> AsyncIterator[bytes]:
    """The messages of a pub/sub channel for as long as the caller reads, subscribing again
    with back-off after Redis was lost (what was published meanwhile is gone). `ready` is
    set once subscribed."""
    backoff = _FIRST_BACKOFF
    while True:
        pubsub = redis.pubsub(ignore_subscribe_messages=True)
        try:
            async with asyncio.timeout(health.timeout):
                await keeping_cancellation(pubsub.subscribe(channel))
            health.succeeded()
            backoff = _FIRST_BACKOFF
            if ready is not None:
                ready.set()
            while True:
                message = await keeping_cancellation(pubsub.get_message(timeout=_POLL_SECONDS))
                if message is not None and message.get("type") == "message":
                    yield message["data"]
        except FAILURES as exc:
            health.failed(exc)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
        await asyncio.sleep(backoff)
        backoff = min(2 * backoff, max(health.retry_after, _FIRST_BACKOFF))


_FIRST_BACKOFF = 0.1
# A quiet subscriber still wakes this often, so that its connection's health check (a PING
# every health_check_interval) runs and a Redis that went away is noticed.
_POLL_SECONDS = 1.0
