"""Live events to clients (the evaluator pad): what resolvers publish and subscribe to.
The server supplies the implementation: Redis pub/sub across workers, or in-process."""

from __future__ import annotations

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
