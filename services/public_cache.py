"""The public page's answers, kept in this process for a while (a TTL cache), so that a
crowd reading the same month costs the database one computation per key and period.

Concurrent misses for one key wait for a single computation (single flight): the first
request starts it as a task of its own, the others join it; a request that goes away does
not cancel it for the rest. A failed computation is not kept: the requests waiting for it
get the error and the next request tries again. Each worker process has its own cache."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

CAPACITY = 256  # answers kept at most; the oldest goes first

V = TypeVar("V")


class TtlCache(Generic[V]):
    """Values by key for `ttl` from when they were computed; a `ttl` of zero keeps nothing
    and computes every time (the benchmark's uncached side). `computations` and `joined`
    count what happened, for tests and operators."""

    def __init__(self, ttl: timedelta, capacity: int = CAPACITY) -> None:
        self.ttl = ttl
        self._capacity = capacity
        self._kept: dict[Hashable, tuple[datetime, V]] = {}
        self._flights: dict[Hashable, asyncio.Task[V]] = {}
        self.computations = 0  # computations started
        self.joined = 0  # requests that waited for another request's computation

    def clear(self) -> None:
        self._kept.clear()

    async def get(
        self, key: Hashable, now: datetime, compute: Callable[[datetime], Awaitable[V]]
    ) -> V:
        """The value of `key` as of `now`: kept, joined, or computed by `compute(now)`."""
        if self.ttl <= timedelta(0):
            self.computations += 1
            return await compute(now)
        kept = self._kept.get(key)
        if kept is not None and timedelta(0) <= now - kept[0] < self.ttl:
            return kept[1]
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.create_task(self._compute(key, now, compute))
            flight.add_done_callback(_retrieved)
            self._flights[key] = flight
        else:
            self.joined += 1
        return await asyncio.shield(flight)

    async def _compute(
        self, key: Hashable, now: datetime, compute: Callable[[datetime], Awaitable[V]]
    ) -> V:
        self.computations += 1
        try:
            value = await compute(now)
        finally:
            del self._flights[key]
        self._kept.pop(key, None)
        while len(self._kept) >= self._capacity:
            del self._kept[next(iter(self._kept))]
        self._kept[key] = (now, value)
        return value


def _retrieved(task: asyncio.Task[V]) -> None:
    """A failure is seen even when every request waiting for it went away."""
    if not task.cancelled():
        task.exception()
