"""Whether Redis answers, shared by everything in the process that uses it.

Redis only helps here (counts shared by the workers, events between them): the service
works without it. So a Redis call is bounded by the configured timeout, a failure marks
Redis unreachable, and while it is, calls are not even tried until the retry interval has
passed; then one call at a time probes it. One log line per change of state, never one
per request, and none with a traceback: the outage is the news, not the stack.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from server.settings import Settings

log = logging.getLogger("hcp.redis")
T = TypeVar("T")

# What a Redis that is down, stalled or restarting raises; anything else is a bug and
# propagates. TimeoutError (the bound below) is an OSError.
FAILURES = (RedisError, OSError)


class RedisUnavailableError(Exception):
    """Redis is unreachable (or was, less than the retry interval ago)."""


async def keeping_cancellation(work: Awaitable[T]) -> T:
    """Await a redis-py call, and raise a cancellation requested meanwhile even if the call
    swallowed it. redis-py bounds a socket write with asyncio.wait_for, which on Python 3.11
    returns the result instead of raising when the task is cancelled just as the write
    completes (fixed in 3.12). The cancellation was lost: a rules listener stopped at
    shutdown, or by a test, went on listening for ever (stop 26's CI run hung on it)."""
    task = asyncio.current_task()
    before = task.cancelling() if task is not None else 0
    result = await work
    if task is not None and task.cancelling() > before:
        raise asyncio.CancelledError
    return result


class RedisHealth:
    def __init__(
        self,
        *,
        timeout: float = Settings.redis_timeout_seconds,
        retry_after: float = Settings.redis_retry_seconds,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`timeout` and `retry_after` come from HCP_REDIS_TIMEOUT_SECONDS and
        HCP_REDIS_RETRY_SECONDS; the defaults are theirs, for clients made without settings."""
        self.timeout = timeout
        self.retry_after = retry_after
        self._clock = clock
        self._reachable = True
        self._next_probe = 0.0

    @property
    def reachable(self) -> bool:
        return self._reachable

    def _may_try(self) -> bool:
        if self._reachable:
            return True
        now = self._clock()
        if now < self._next_probe:
            return False
        # This caller probes; the others keep skipping Redis until it knows.
        self._next_probe = now + self.retry_after
        return True

    async def call(self, action: Callable[[], Awaitable[T]]) -> T:
        """Run one Redis action within the timeout; RedisUnavailableError instead of a
        wait while Redis is known to be down, or when this attempt fails."""
        if not self._may_try():
            raise RedisUnavailableError
        try:
            async with asyncio.timeout(self.timeout):
                result = await keeping_cancellation(action())
        except FAILURES as exc:
            self.failed(exc)
            raise RedisUnavailableError from None
        self.succeeded()
        return result

    def failed(self, exc: BaseException) -> None:
        if self._reachable:
            self._reachable = False
            log.warning(
                "redis unreachable (%s): anti-abuse counts kept per process, window events "
                "not delivered; retrying every %ss",
                type(exc).__name__,
                self.retry_after,
            )
        self._next_probe = self._clock() + self.retry_after

    def succeeded(self) -> None:
        if not self._reachable:
            self._reachable = True
            log.info("redis reachable again: counting and events shared by every worker")


# A connection idle this long is checked with a PING before use, and a quiet pub/sub
# subscriber sends one this often, so a Redis that went away is noticed by the next use.
_REDIS_HEALTH_CHECK_SECONDS = 10


def redis_client(url: str, settings: Settings) -> Redis:
    """Every wait on Redis is bounded. A pooled connection that Redis closed (a restart) is
    replaced and the command sent again once, at once, so recovery fails no request; a
    timeout is not retried: the caller goes on without Redis instead of waiting twice."""
    return Redis.from_url(
        url,
        socket_connect_timeout=settings.redis_timeout_seconds,
        socket_timeout=settings.redis_timeout_seconds,
        health_check_interval=_REDIS_HEALTH_CHECK_SECONDS,
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
    )
