"""GET /healthz: whether this worker can serve, for load balancers and operators."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from models.db import ping
from server.redis_health import RedisUnavailableError
from server.state import AppState, app_state
from server.sweeper import read_last_run, sweep_health

# How long /healthz waits for the database before it calls it unreachable.
_DATABASE_SECONDS = 2.0


async def healthz(request: Request) -> JSONResponse:
    """503 only without the database. Redis unreachable is 200 "degraded": ratings are
    still accepted (counted per worker), so a load balancer must not take every worker
    out of service for it. Redis is asked at most for its timeout, and not at all while
    it is known to be down (until the retry interval has passed). A late deadline sweep
    is "degraded" too: nobody is reminded or defaulted, but requests are served."""
    state = app_state(request)
    # `worker` tells which worker process answered (load balancing checks, the bench).
    body: dict[str, Any] = {"status": "ok", "database": "ok", "redis": "off"}
    body["worker"] = os.getpid()
    started = time.monotonic()
    try:
        # Bounded like Redis: a load balancer's probe must get an answer, not a hang.
        await asyncio.wait_for(ping(), _DATABASE_SECONDS)
    except Exception:
        body.update(status="degraded", database="unreachable")
    left = _DATABASE_SECONDS - (time.monotonic() - started)
    if not await _sweep_state(state, body, left):
        body["status"] = "degraded"
    if state.redis is not None and state.redis_health is not None:
        redis = state.redis
        try:
            await state.redis_health.call(lambda: redis.ping())
            body["redis"] = "ok"
        except RedisUnavailableError:
            body.update(status="degraded", redis="unreachable")
    return JSONResponse(body, status_code=503 if body["database"] != "ok" else 200)


async def _sweep_state(state: AppState, body: dict[str, Any], seconds: float) -> bool:
    """Adds "sweep" to /healthz; False when the sweep is late. Read within what is left
    of the database's time bound; a row that cannot be read counts as no pass yet."""
    run = None
    if body["database"] == "ok":
        with contextlib.suppress(Exception):
            run = await asyncio.wait_for(read_last_run(), max(seconds, 0.1))
    view, late = sweep_health(
        run,
        mode=state.settings.sweep_mode,
        since=state.started_at,
        now=state.collaborators.clock(),
        interval=state.settings.sweep_interval_seconds,
    )
    body["sweep"] = view
    return not late
