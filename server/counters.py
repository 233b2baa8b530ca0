"""Counters for the anti-abuse limits: Redis when configured (every worker counts
together), otherwise in this process."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from redis.asyncio import Redis

from server.redis_health import RedisHealth, RedisUnavailableError


class RedisCounters:
    """Counts shared by every worker. While Redis is unreachable the counts go to this
    process instead: a rating is never refused or delayed because Redis is down, and each
    limit still holds per worker (so at most workers x the limit in all)."""

    def __init__(self, redis: Redis, health: RedisHealth | None = None) -> None:
        self._redis = redis
        self._health = health or RedisHealth()
        self._fallback = LocalCounters()

    def clear(self) -> None:
        self._fallback.clear()

    async def count(
        self, hits: Sequence[tuple[str, int]], member: tuple[str, str, int] | None = None
    ) -> tuple[list[int], int]:
        try:
            return await self._health.call(lambda: self._count(hits, member))
        except RedisUnavailableError:
            return await self._fallback.count(hits, member)

    async def release(self, keys: Sequence[str]) -> None:
        # Where the count went a moment ago: Redis if it is reachable, else this process.
        if keys and self._health.reachable:
            try:
                await self._health.call(lambda: self._release(keys))
                return
            except RedisUnavailableError:
                pass
        await self._fallback.release(keys)

    async def _count(
        self, hits: Sequence[tuple[str, int]], member: tuple[str, str, int] | None
    ) -> tuple[list[int], int]:
        async with self._redis.pipeline(transaction=True) as pipe:
            for key, seconds in hits:
                pipe.incr(key)
                pipe.expire(key, seconds, nx=True)
            if member is not None:
                key, value, seconds = member
                pipe.sadd(key, value)
                pipe.expire(key, seconds, nx=True)
                pipe.scard(key)
            replies = await pipe.execute()
        counts = [int(replies[2 * i]) for i in range(len(hits))]
        return counts, int(replies[-1]) if member is not None else 0

    async def _release(self, keys: Sequence[str]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.decr(key)
            await pipe.execute()


_PRUNE_FROM = 10_000  # keys held before expired ones are first looked for


class LocalCounters:
    """Single-process stand-in; expired keys are dropped as new ones arrive."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._counts: dict[str, tuple[float, int]] = {}
        self._sets: dict[str, tuple[float, set[str]]] = {}
        self._prune_at = _PRUNE_FROM

    def clear(self) -> None:
        self._counts.clear()
        self._sets.clear()

    def _prune(self, now: float) -> None:
        """Drop expired keys once the maps have doubled since the last pruning, so that many
        live keys cost a pass now and then, not one on every call."""
        if len(self._counts) + len(self._sets) < self._prune_at:
            return
        self._counts = {k: v for k, v in self._counts.items() if v[0] > now}
        self._sets = {k: v for k, v in self._sets.items() if v[0] > now}
        self._prune_at = max(_PRUNE_FROM, 2 * (len(self._counts) + len(self._sets)))

    async def count(
        self, hits: Sequence[tuple[str, int]], member: tuple[str, str, int] | None = None
    ) -> tuple[list[int], int]:
        now = self._clock()
        self._prune(now)
        counts = []
        for key, seconds in hits:
            expires, count = self._counts.get(key, (now + seconds, 0))
            if expires <= now:
                expires, count = now + seconds, 0
            self._counts[key] = (expires, count + 1)
            counts.append(count + 1)
        if member is None:
            return counts, 0
        key, value, seconds = member
        expires, members = self._sets.get(key, (now + seconds, set()))
        if expires <= now:
            expires, members = now + seconds, set()
        members.add(value)
        self._sets[key] = (expires, members)
        return counts, len(members)

    async def release(self, keys: Sequence[str]) -> None:
        for key in keys:
            if key in self._counts:
                expires, count = self._counts[key]
                self._counts[key] = (expires, max(0, count - 1))
