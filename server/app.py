"""create_app(): the ASGI application. Long-lived clients are made in the lifespan and
handed down; nothing here is a module global."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from mini_program_mock import client_routes
from models.db import connection, fetch
from rules import Engine, PolicyError
from schema.app import build_schema
from schema.core.context import Collaborators
from server import secrets
from server.access_log import AccessLog
from server.auth import InvalidTokenError, JwksError, TokenVerifier
from server.body_limit import BodyLimit
from server.broker import LocalBroker, RedisBroker
from server.client_address import ClientAddress
from server.counters import LocalCounters, RedisCounters
from server.database import open_database
from server.graphiql import graphiql_routes
from server.graphql_view import HcpGraphQL
from server.json_body import strict_json
from server.redis_health import RedisHealth, RedisUnavailableError, redis_client
from server.rules_runtime import RulesBroadcast, watch_file
from server.security_headers import SecurityHeaders
from server.settings import Settings
from server.sweeper import read_last_run, serve_sweep, sweep_health
from server.unavailable import DatabaseUnavailable
from services.identity import Principal
from services.rating_results import Accepted
from services.sms import rate_by_reply
from services.vault import Vault

log = logging.getLogger("hcp.server")


@dataclass
class Runtime:
    """What the lifespan opens; filled at start-up, read by every request."""

    collaborators: Collaborators | None = None
    redis: Redis | None = None
    redis_health: RedisHealth | None = None
    # When this process began serving (by the app's clock): /healthz gives the sweep that
    # long, up to twice its interval, for a first pass.
    started_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class StartupError(Exception):
    """A configured service does not answer; the process must not serve half-configured."""


# How long start-up waits for the rules broadcast to subscribe before serving without it.
_SUBSCRIBE_SECONDS = 2.0
# How long /healthz waits for `SELECT 1` before it calls the database unreachable.
_HEALTHZ_DATABASE_SECONDS = 2.0


def _load_rules(settings: Settings) -> Engine:
    try:
        return Engine.from_path(settings.rules_path)
    except PolicyError as exc:
        raise StartupError(f"the rules file is not valid (HCP_RULES):\n{exc}") from None


def make_verifier(settings: Settings) -> TokenVerifier:
    claims = {"issuer": settings.jwt_issuer, "audience": settings.jwt_audience}
    if settings.jwt_jwks:
        try:
            return TokenVerifier.for_jwks(
                settings.jwt_jwks, min_interval=settings.jwt_jwks_refresh_seconds, **claims
            )
        except JwksError as exc:
            raise StartupError(f"HCP_JWT_JWKS cannot be used: {exc}") from None
    if settings.jwt_public_key:
        try:
            return TokenVerifier.for_public_key(settings.jwt_public_key, **claims)
        except ValueError as exc:
            raise StartupError(f"HCP_JWT_PUBLIC_KEY cannot be used: {exc}") from None
    secret = secrets.jwt_secret(settings)
    assert secret is not None
    return TokenVerifier.for_secret(secret, **claims)


def _authenticator(verifier: TokenVerifier) -> Callable[[str], Principal | None]:
    def authenticate(token: str) -> Principal | None:
        try:
            return verifier.verify(token)
        except InvalidTokenError as exc:
            log.info("refused a bearer token: %s", exc)
            return None

    return authenticate


def _cors(settings: Settings) -> list[Middleware]:
    """Pages on the origins of HCP_CORS_ORIGINS (e.g. a mini-program's web view) may call
    the API from the browser; without it, no cross-origin reads (and the same list decides
    which origins may open the GraphQL websocket)."""
    if not settings.cors_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type", "x-hcp-device"],
            max_age=600,
        )
    ]


def create_app(settings: Settings, *, clock: Callable[[], datetime] | None = None) -> Starlette:
    runtime = Runtime()

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        engine = _load_rules(settings)
        authenticate = _authenticator(make_verifier(settings))
        async with open_database(settings):
            redis = redis_client(settings.redis_url, settings) if settings.redis_url else None
            runtime.redis = redis
            if redis is not None:
                runtime.redis_health = RedisHealth(
                    timeout=settings.redis_timeout_seconds,
                    retry_after=settings.redis_retry_seconds,
                )
                # A worker started during a Redis outage (a deploy, a restarted worker)
                # serves, degraded, as the running ones do; the health component says so
                # once and retries.
                with contextlib.suppress(RedisUnavailableError):
                    await runtime.redis_health.call(lambda: redis.ping())
            health = runtime.redis_health
            background = [
                asyncio.create_task(
                    watch_file(engine, settings.rules_path, settings.rules_poll_seconds)
                )
            ]
            announce = None
            if runtime.redis is not None:
                broadcast = RulesBroadcast(runtime.redis, engine, settings.rules_path, health)
                listening = asyncio.Event()
                background.append(asyncio.create_task(broadcast.listen(listening)))
                # Subscribed before serving when Redis answers; otherwise the listener
                # subscribes once it is back (the watched file carries a publish meanwhile).
                if health is not None and health.reachable:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(listening.wait(), _SUBSCRIBE_SECONDS)
                announce = broadcast.announce_publish
            now = clock or (lambda: datetime.now(UTC))
            runtime.collaborators = Collaborators(
                vault=Vault.from_ring(secrets.data_key(settings)),
                authenticate=authenticate,
                clock=now,
                engine=engine,
                rules_path=settings.rules_path,
                broker=RedisBroker(redis, health) if redis is not None else LocalBroker(),
                pad_lifetime=timedelta(hours=settings.pad_session_hours),
                pad_rating_window=timedelta(minutes=settings.pad_rating_minutes),
                counters=RedisCounters(redis, health) if redis is not None else LocalCounters(),
                announce_rules=announce,
            )
            runtime.started_at = now()
            sweeping = serve_sweep(
                settings, engine=engine, vault=runtime.collaborators.vault, clock=now
            )
            try:
                async with sweeping:
                    yield
            finally:
                for task in background:
                    task.cancel()
                await asyncio.gather(*background, return_exceptions=True)
                if runtime.redis is not None:
                    await runtime.redis.aclose()

    async def healthz(_request: Request) -> JSONResponse:
        """503 only without the database. Redis unreachable is 200 "degraded": ratings are
        still accepted (counted per worker), so a load balancer must not take every worker
        out of service for it. Redis is asked at most for its timeout, and not at all while
        it is known to be down (until the retry interval has passed). A late deadline sweep
        is "degraded" too: nobody is reminded or defaulted, but requests are served."""
        # `worker` tells which worker process answered (load balancing checks, the bench).
        body: dict[str, Any] = {"status": "ok", "database": "ok", "redis": "off"}
        body["worker"] = os.getpid()
        started = time.monotonic()
        try:
            # Bounded like Redis: a load balancer's probe must get an answer, not a hang.
            await asyncio.wait_for(fetch(connection(), "SELECT 1 AS ok"), _HEALTHZ_DATABASE_SECONDS)
        except Exception:
            body.update(status="degraded", database="unreachable")
        left = _HEALTHZ_DATABASE_SECONDS - (time.monotonic() - started)
        if not await _sweep_state(body, left):
            body["status"] = "degraded"
        if runtime.redis is not None and runtime.redis_health is not None:
            redis = runtime.redis
            try:
                await runtime.redis_health.call(lambda: redis.ping())
                body["redis"] = "ok"
            except RedisUnavailableError:
                body.update(status="degraded", redis="unreachable")
        return JSONResponse(body, status_code=503 if body["database"] != "ok" else 200)

    async def _sweep_state(body: dict[str, Any], seconds: float) -> bool:
        """Adds "sweep" to /healthz; False when the sweep is late. Read within what is left
        of the database's time bound; a row that cannot be read counts as no pass yet."""
        collaborators = runtime.collaborators
        assert collaborators is not None and runtime.started_at is not None
        run = None
        if body["database"] == "ok":
            with contextlib.suppress(Exception):
                run = await asyncio.wait_for(read_last_run(), max(seconds, 0.1))
        view, late = sweep_health(
            run,
            mode=settings.sweep_mode,
            since=runtime.started_at,
            now=collaborators.clock(),
            interval=settings.sweep_interval_seconds,
        )
        body["sweep"] = view
        return not late

    async def sms_inbound(request: Request) -> JSONResponse:
        """A gateway forwards a rater's reply: {"from": phone, "text": reply}."""
        secret = settings.sms_inbound_secret
        if not secret:
            return JSONResponse({"error": "NOT_ENABLED"}, status_code=404)
        given = request.headers.get("x-hcp-sms-secret", "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return JSONResponse({"error": "FORBIDDEN"}, status_code=403)
        try:
            body: Any = strict_json(await request.body())
            sender, text = str(body["from"]), str(body["text"])
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": "BAD_INPUT"}, status_code=400)
        collaborators = runtime.collaborators
        assert collaborators is not None
        result = await rate_by_reply(
            sender[:32],
            text[:500],
            engine=collaborators.engine,
            vault=collaborators.vault,
            clock=collaborators.clock,
            counters=collaborators.counters,
        )
        if isinstance(result, Accepted):
            return JSONResponse({"status": "accepted", "appliesTo": result.applies_to})
        return JSONResponse({"status": "rejected", "code": result.code})

    graphql = HcpGraphQL(
        runtime,
        schema=build_schema(introspection=not settings.is_prod),
        graphql_ide=None if settings.is_prod else "graphiql",
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
        allowed_origins=settings.cors_origins,
    )
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/sms/inbound", sms_inbound, methods=["POST"]),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            *client_routes(settings),
            *([] if settings.is_prod else graphiql_routes()),
        ],
        lifespan=lifespan,
        middleware=[
            Middleware(ClientAddress, trusted=settings.trusted_proxies),
            Middleware(AccessLog),
            *_cors(settings),
            Middleware(SecurityHeaders),
            Middleware(BodyLimit),
            Middleware(DatabaseUnavailable),
        ],
    )
    app.state.runtime = runtime  # for operators' tools and tests: what the lifespan opened
    return app


def create_app_from_env() -> Starlette:
    """The uvicorn factory (`server.app:create_app_from_env`), one per worker process."""
    return create_app(Settings.from_env())
