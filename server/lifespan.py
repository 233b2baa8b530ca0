"""The app's lifespan: open what the app serves with (the rules, the database, Redis, the
collaborators of every request, the rules watchers, the sweep), publish it as the app's
AppState, and close it all again on shutdown."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from starlette.applications import Starlette

from rules import Engine, PolicyError
from schema.core.context import Collaborators
from server import secrets
from server.broker import LocalBroker, RedisBroker
from server.counters import LocalCounters, RedisCounters
from server.database import open_database
from server.redis_health import RedisHealth, RedisUnavailableError, redis_client
from server.rules_runtime import (
    RulesBroadcast,
    RulesFileWatch,
    adopt_rules_at_start,
    watch_file,
)
from server.settings import Settings
from server.startup import StartupError, authenticator, make_verifier
from server.state import AppState, set_app_state
from server.sweeper import serve_sweep
from services.disclosure import PublicCache
from services.vault import Vault

# How long start-up waits for the rules broadcast to subscribe before serving without it.
_SUBSCRIBE_SECONDS = 2.0

Lifespan = Callable[[Starlette], AbstractAsyncContextManager[None]]


def lifespan(settings: Settings, clock: Callable[[], datetime] | None) -> Lifespan:
    @asynccontextmanager
    async def run(app: Starlette) -> AsyncIterator[None]:
        engine = _load_rules(settings)
        authenticate = authenticator(make_verifier(settings))
        now = clock or (lambda: datetime.now(UTC))
        async with open_database(settings):
            await adopt_rules_at_start(engine, settings.rules_path, now=now(), lang=settings.lang)
            redis, health = await _open_redis(settings)
            watch = RulesFileWatch(engine, settings.rules_path, clock=now, lang=settings.lang)
            background = [asyncio.create_task(watch_file(watch, settings.rules_poll_seconds))]
            announce = None
            if redis is not None and health is not None:
                broadcast = RulesBroadcast(
                    redis, engine, settings.rules_path, health, clock=now, lang=settings.lang
                )
                listening = asyncio.Event()
                background.append(asyncio.create_task(broadcast.listen(listening)))
                # Subscribed before serving when Redis answers; otherwise the listener
                # subscribes once it is back (the watched file carries a publish meanwhile).
                if health.reachable:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(listening.wait(), _SUBSCRIBE_SECONDS)
                announce = broadcast.announce_publish
            collaborators = Collaborators(
                vault=Vault.from_ring(secrets.data_key(settings)),
                authenticate=authenticate,
                clock=now,
                engine=engine,
                rules_path=settings.rules_path,
                broker=RedisBroker(redis, health) if redis is not None else LocalBroker(),
                pad_lifetime=timedelta(days=settings.pad_days),
                pad_rating_window=timedelta(minutes=settings.pad_rating_minutes),
                counters=RedisCounters(redis, health) if redis is not None else LocalCounters(),
                announce_rules=announce,
                lang=settings.lang,
                public_base_url=settings.public_base_url,
            )
            public = PublicCache(timedelta(seconds=settings.public_cache_seconds))
            state = AppState(settings, collaborators, redis, health, now(), public)
            set_app_state(app, state)
            sweeping = serve_sweep(settings, engine=engine, vault=collaborators.vault, clock=now)
            try:
                async with sweeping:
                    yield
            finally:
                set_app_state(app, None)
                for task in background:
                    task.cancel()
                await asyncio.gather(*background, return_exceptions=True)
                if redis is not None:
                    await redis.aclose()

    return run


def _load_rules(settings: Settings) -> Engine:
    try:
        return Engine.from_path(settings.rules_path)
    except PolicyError as exc:
        raise StartupError(f"the rules file is not valid (HCP_RULES):\n{exc}") from None


async def _open_redis(settings: Settings) -> tuple[Redis | None, RedisHealth | None]:
    if not settings.redis_url:
        return None, None
    redis = redis_client(settings.redis_url, settings)
    health = RedisHealth(
        timeout=settings.redis_timeout_seconds, retry_after=settings.redis_retry_seconds
    )
    # A worker started during a Redis outage (a deploy, a restarted worker) serves,
    # degraded, as the running ones do; the health component says so once and retries.
    with contextlib.suppress(RedisUnavailableError):
        await health.call(lambda: redis.ping())
    return redis, health
