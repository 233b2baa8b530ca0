"""A plain HTTP route whose database connection drops answers 503 UNAVAILABLE (retryable),
logged as one line without a traceback; any other failure is still a failure."""

from __future__ import annotations

import asyncio
import logging

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models.db import connection_lost
from server.unavailable import DatabaseUnavailable


async def dropped(_request: Request) -> Response:
    try:
        raise asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed")
    except asyncpg.PostgresError as exc:
        # What Tortoise raises: its own error, caused by the driver's.
        raise RuntimeError("OperationalError") from exc


async def broken(_request: Request) -> Response:
    raise ValueError("a bug")


def client() -> httpx.AsyncClient:
    app = Starlette(
        routes=[Route("/dropped", dropped), Route("/broken", broken)],
        middleware=[Middleware(DatabaseUnavailable)],  # as create_app places it
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://hcp.test")


async def test_a_dropped_database_connection_is_503_unavailable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "hcp.server")
    async with client() as http:
        response = await http.get("/dropped?idNumber=secret")
    assert response.status_code == 503
    assert response.json() == {"error": "UNAVAILABLE"}
    assert response.headers["retry-after"] == "1"
    (record,) = [r for r in caplog.records if r.name == "hcp.server"]
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "/dropped" in record.getMessage() and "secret" not in record.getMessage()


async def test_any_other_failure_is_not_called_unavailable() -> None:
    async with client() as http:
        response = await http.get("/broken")
    assert response.status_code == 500


async def other_timeout(_request: Request) -> Response:
    # A timeout of something that is not the database (another service, a slow read).
    async with asyncio.timeout(0):
        await asyncio.sleep(1)
    return Response()


async def test_a_timeout_elsewhere_is_not_called_the_database() -> None:
    assert not connection_lost(TimeoutError())
    app = Starlette(
        routes=[Route("/other", other_timeout)], middleware=[Middleware(DatabaseUnavailable)]
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://hcp.test") as http:
        assert (await http.get("/other")).status_code == 500
