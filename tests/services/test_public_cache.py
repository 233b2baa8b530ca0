"""The public page's cache (services.public_cache) by itself: values kept for their TTL from
when they were computed, a failure not kept, a request that goes away not cancelling the
computation the others wait for, zero TTL computing every time, the oldest evicted."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from services.public_cache import TtlCache

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class Failing(Exception):
    """The computation's failure, as a database error would be."""


async def test_a_value_is_kept_for_its_ttl_from_when_it_was_computed() -> None:
    cache: TtlCache[str] = TtlCache(timedelta(minutes=5))
    made: list[datetime] = []

    async def compute(at: datetime) -> str:
        made.append(at)
        return f"as of {at:%H:%M}"

    assert await cache.get("k", NOW, compute) == "as of 12:00"
    assert await cache.get("k", NOW + timedelta(minutes=4, seconds=59), compute) == "as of 12:00"
    later = NOW + timedelta(minutes=5)
    assert await cache.get("k", later, compute) == "as of 12:05"
    assert made == [NOW, later] and cache.computations == 2


async def test_a_failure_reaches_every_waiter_and_is_not_kept() -> None:
    cache: TtlCache[str] = TtlCache(timedelta(minutes=5))
    gate = asyncio.Event()

    async def failing(_at: datetime) -> str:
        await gate.wait()
        raise Failing

    waiting = [asyncio.create_task(cache.get("k", NOW, failing)) for _ in range(3)]
    while cache.joined < 2:
        await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert [type(r) for r in results] == [Failing] * 3
    assert cache.computations == 1

    async def working(_at: datetime) -> str:
        return "ok"

    assert await cache.get("k", NOW, working) == "ok"
    assert cache.computations == 2


async def test_a_request_that_goes_away_leaves_the_computation_to_the_others() -> None:
    cache: TtlCache[str] = TtlCache(timedelta(minutes=5))
    gate = asyncio.Event()

    async def slow(_at: datetime) -> str:
        await gate.wait()
        return "done"

    first = asyncio.create_task(cache.get("k", NOW, slow))
    second = asyncio.create_task(cache.get("k", NOW, slow))
    while cache.joined < 1:
        await asyncio.sleep(0)
    first.cancel()
    gate.set()
    assert await second == "done"
    with pytest.raises(asyncio.CancelledError):
        await first
    assert cache.computations == 1


async def test_zero_ttl_computes_every_time_and_the_oldest_value_goes_first() -> None:
    uncached: TtlCache[int] = TtlCache(timedelta(0))

    async def one(_at: datetime) -> int:
        return 1

    for _ in range(3):
        await uncached.get("k", NOW, one)
    assert uncached.computations == 3
    small: TtlCache[int] = TtlCache(timedelta(minutes=5), capacity=2)
    for key in ("a", "b", "c", "a"):
        await small.get(key, NOW, one)
    assert small.computations == 4  # "a" was evicted by "c", computed again
    await small.get("c", NOW, one)
    assert small.computations == 4
