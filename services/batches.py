"""One batch runner for the long jobs (the deadline sweep, key rotation, SMS delivery): a
batch runs again and again until one finds nothing left to do."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

Batch = Callable[[], Awaitable[int]]
"""One batch; returns how many rows it did (0: none left)."""

Step = Callable[[BaseDBAsyncClient], Awaitable[int]]
"""One batch inside the given transaction."""


def in_transactions(step: Step) -> Batch:
    """Each batch of `step` in a transaction of its own: an interrupted job leaves every
    batch either done or untouched."""

    async def batch() -> int:
        async with in_transaction() as conn:
            return await step(conn)

    return batch


async def run_in_batches(
    batch: Batch,
    *,
    loops: int = 1,
    stop: asyncio.Event | None = None,
    tell: Callable[[int], None] | None = None,
) -> int:
    """Run `batch` in `loops` loops at once until one does nothing; returns the rows done.
    `stop` ends every loop between batches (the next run carries on where this one
    stopped); an error ends every loop and is raised as it is; `tell` hears the running
    total after each batch. A short batch is not the end: on PostgreSQL it may only mean
    that rows another loop holds were skipped."""
    done = 0

    async def loop() -> None:
        nonlocal done
        while stop is None or not stop.is_set():
            rows = await batch()
            if not rows:
                return
            done += rows
            if tell is not None:
                tell(done)

    if tell is not None:
        tell(0)
    if loops == 1:
        await loop()
        return done
    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(loops):
                group.create_task(loop())
    except ExceptionGroup as failed:
        # One loop failed and the others were cancelled: its error is the story.
        if len(failed.exceptions) == 1:
            raise failed.exceptions[0] from None
        raise
    return done
