"""Counters for the anti-abuse limits: Redis when configured (every worker counts
together), otherwise in this process."""

from __future__ import annotations

import time
from collections.abc import Callable

from redis.asyncio import Redis


class RedisCounters:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def hit(self, key: str, seconds: int) -> int:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, seconds, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def release(self, key: str) -> None:
        await self._redis.decr(key)

    async def distinct(self, key: str, member: str, seconds: int) -> int:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.sadd(key, member)
            pipe.expire(key, seconds, nx=True)
            pipe.scard(key)
            _, _, size = await pipe.execute()
        return int(size)


class LocalCounters:
    """Single-process stand-in; expired keys are dropped as new ones arrive."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._counts: dict[str, tuple[float, int]] = {}
        self._sets: dict[str, tuple[float, set[str]]] = {}

    def _prune(self, now: float) -> None:
        if len(self._counts) + len(self._sets) < 10_000:
            return
        self._counts = {k: v for k, v in self._counts.items() if v[0] > now}
        self._sets = {k: v for k, v in self._sets.items() if v[0] > now}

    def clear(self) -> None:
        self._counts.clear()
        self._sets.clear()

    async def hit(self, key: str, seconds: int) -> int:
        now = self._clock()
        self._prune(now)
        expires, count = self._counts.get(key, (now + seconds, 0))
        if expires <= now:
            expires, count = now + seconds, 0
        self._counts[key] = (expires, count + 1)
        return count + 1

    async def release(self, key: str) -> None:
        if key in self._counts:
            expires, count = self._counts[key]
            self._counts[key] = (expires, max(0, count - 1))

    async def distinct(self, key: str, member: str, seconds: int) -> int:
        now = self._clock()
        self._prune(now)
        expires, members = self._sets.get(key, (now + seconds, set()))
        if expires <= now:
            expires, members = now + seconds, set()
        members.add(member)
        self._sets[key] = (expires, members)
        return len(members)
