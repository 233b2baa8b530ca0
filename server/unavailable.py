"""Plain HTTP routes (the pages' /device and /w/, /sms/inbound, /healthz's neighbours) answer
503 `UNAVAILABLE` when the database connection drops under them, as GraphQL does: a retry
can succeed, and a 500 with a traceback in the log says something is broken that is not."""

from __future__ import annotations

import logging

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.db import connection_lost

log = logging.getLogger("hcp.server")


class DatabaseUnavailable:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            if started or not connection_lost(exc):
                raise
            # The path only: query strings can carry anything a client typed.
            log.warning(
                "database connection lost (%s) at %s: answered 503 UNAVAILABLE",
                type(exc).__name__,
                scope.get("path", ""),
            )
            response = JSONResponse(
                {"error": "UNAVAILABLE"}, status_code=503, headers={"Retry-After": "1"}
            )
            await response(scope, receive, send)
