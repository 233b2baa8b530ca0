"""A cancellation that redis-py swallows is raised all the same (server.redis_health).

redis-py bounds a socket write with asyncio.wait_for; on Python 3.11 wait_for returns the
result instead of raising when its task is cancelled just as the awaited work completes.
Stop 26's CI run hung for its whole 5,400 s on that: a rules listener, cancelled while
acknowledging a broadcast, never stopped. Here the race is made exact: the work completes
and the task is cancelled in the same turn of the event loop.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

import pytest

from server.redis_health import RedisHealth, keeping_cancellation


async def like_a_bounded_write(done: asyncio.Future[str]) -> str:
    """What redis-py does around a socket write when socket_timeout is set."""
    return await asyncio.wait_for(done, 10)


async def cancelled_as_it_completes(
    work: Callable[[asyncio.Future[str]], Awaitable[str]],
) -> asyncio.Task[str]:
    done: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def run() -> str:
        return await work(done)

    task = asyncio.create_task(run())
    await asyncio.sleep(0.01)  # the task now waits for the write
    done.set_result("sent")
    task.cancel()
    await asyncio.wait([task])
    return task


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="wait_for keeps cancellations from 3.12")
async def test_the_race_is_real_on_this_python() -> None:
    # Without the guard, the cancelled task finishes as if nothing had been asked of it.
    task = await cancelled_as_it_completes(like_a_bounded_write)
    assert not task.cancelled()
    assert task.result() == "sent"


async def test_keeping_cancellation_raises_the_swallowed_cancellation() -> None:
    task = await cancelled_as_it_completes(
        lambda done: keeping_cancellation(like_a_bounded_write(done))
    )
    assert task.cancelled()


async def test_a_redis_call_cancelled_as_it_completes_is_cancelled() -> None:
    health = RedisHealth(timeout=5)
    task = await cancelled_as_it_completes(
        lambda done: health.call(lambda: like_a_bounded_write(done))
    )
    assert task.cancelled()
    assert health.reachable  # a cancellation says nothing about Redis


async def test_a_call_that_completes_keeps_its_result() -> None:
    done: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    done.set_result("sent")
    assert await RedisHealth(timeout=5).call(lambda: like_a_bounded_write(done)) == "sent"
