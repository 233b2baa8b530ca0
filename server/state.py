"""What the lifespan opens, typed and complete: every request, the pages and the tools read
it through `app_state`, never through an optional field checked by an assert."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import HTTPConnection

from schema.core.context import Collaborators
from server.redis_health import RedisHealth
from server.settings import Settings
from services.disclosure import PublicCache

_SLOT = "hcp"


@dataclass(frozen=True)
class AppState:
    settings: Settings
    collaborators: Collaborators
    redis: Redis | None
    redis_health: RedisHealth | None  # set exactly when `redis` is
    # When this process began serving (by the app's clock): /healthz gives the sweep that
    # long, up to twice its interval, for a first pass.
    started_at: datetime
    # The public page's answers kept in this process (services.disclosure).
    public: PublicCache


class NotStartedError(RuntimeError):
    """The app is asked for what its lifespan opens before start-up finished."""


def app_state(where: Starlette | HTTPConnection) -> AppState:
    app = where if isinstance(where, Starlette) else where.app
    state = getattr(app.state, _SLOT, None)
    if not isinstance(state, AppState):
        raise NotStartedError("the app has not finished starting (its lifespan has not run)")
    return state


def set_app_state(app: Starlette, state: AppState | None) -> None:
    """Set by the lifespan once everything is open (and cleared when it closes); tests swap
    it to run the app as a restart with other collaborators would."""
    setattr(app.state, _SLOT, state)
