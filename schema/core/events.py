"""Live events to clients (the evaluator pad): what resolvers publish and subscribe to.
The server supplies the implementation: Redis pub/sub across workers, or in-process."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, Protocol


class Broker(Protocol):
    async def publish_many(self, events: list[tuple[str, dict[str, Any]]]) -> None: ...

    def subscribe(self, topic: str) -> AsyncIterator[dict[str, Any]]: ...


def window_topic(window_code: str) -> str:
    return f"window:{window_code}"


def pad_revoked(pad_id: int) -> dict[str, Any]:
    """Told on the pad's window topic: that pad's open subscription ends."""
    return {"padRevoked": pad_id}


async def with_ticks(
    events: AsyncIterator[dict[str, Any]], every: float
) -> AsyncIterator[dict[str, Any] | None]:
    """The events as they come, and None whenever `every` seconds pass without one: checks
    that must run on a quiet topic too (a revocation whose event was lost with Redis)."""
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def pump() -> None:
        async for event in events:
            await queue.put(event)

    reader = asyncio.create_task(pump())
    try:
        while True:
            try:
                yield await asyncio.wait_for(queue.get(), every)
            except TimeoutError:
                if reader.done():
                    reader.result()  # the subscription's own failure, raised here
                    return
                yield None
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
