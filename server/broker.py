"""Event brokers: Redis pub/sub when several workers share the work, in-process otherwise."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis

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
    pad connected to any other worker."""

    def __init__(self, redis: Redis, prefix: str = "hcp:events:") -> None:
        self.redis = redis
        self.prefix = prefix

    async def publish_many(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        """One round trip for a whole intake call's completions."""
        if not events:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for topic, event in events:
                pipe.publish(self.prefix + topic, json.dumps(event, ensure_ascii=False))
            await pipe.execute()

    async def subscribe(self, topic: str) -> AsyncIterator[dict[str, Any]]:
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(self.prefix + topic)
        try:
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    yield json.loads(message["data"])
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
