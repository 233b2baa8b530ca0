"""Production hardening at the HTTP edge: no introspection in prod, bounded request bodies."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from server.app import create_app
from server.body_limit import MAX_BODY_BYTES
from server.settings import Settings
from server.state import NotStartedError, app_state
from tests.conftest import make_settings, token

KEY = "t1:" + base64.b64encode(b"k" * 32).decode("ascii")
INTROSPECT = "{ __schema { queryType { name } } }"


def _settings(tmp_path: Path, env: str) -> Settings:
    tmp_path.mkdir(parents=True, exist_ok=True)
    return make_settings(tmp_path, f"sqlite://{tmp_path}/h.sqlite3", env=env, data_key=KEY)


@asynccontextmanager
async def _client_for(tmp_path: Path, env: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(_settings(tmp_path, env))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hcp.test") as client:
            yield client


async def test_introspection_is_refused_in_prod_and_served_in_dev(tmp_path: Path) -> None:
    async with _client_for(tmp_path / "prod", "prod") as prod:
        body = (await prod.post("/graphql", json={"query": INTROSPECT})).json()
        assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT"
        assert "introspection" in body["errors"][0]["message"]
        typed = await prod.post(
            "/graphql",
            json={"query": "mutation { ping }"},
            headers={"authorization": f"Bearer {token('system')}"},
        )
        assert typed.json() == {"data": {"ping": "pong"}}
        named = (await prod.post("/graphql", json={"query": "{ __typename }"})).json()
        assert named == {"data": {"__typename": "Query"}}
        assert (await prod.get("/graphql", headers={"accept": "text/html"})).status_code != 200
    async with _client_for(tmp_path / "dev", "dev") as dev:
        body = (await dev.post("/graphql", json={"query": INTROSPECT})).json()
        assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_oversized_bodies_are_refused_with_a_code(tmp_path: Path) -> None:
    async with _client_for(tmp_path, "dev") as client:
        big = b'{"query": "{ __typename }", "pad": "' + b"x" * MAX_BODY_BYTES + b'"}'
        declared = await client.post(
            "/graphql", content=big, headers={"content-type": "application/json"}
        )
        assert declared.status_code == 413
        assert declared.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"

        async def stream(body: bytes = big) -> AsyncIterator[bytes]:
            for start in range(0, len(body), 65536):
                yield body[start : start + 65536]

        streamed = await client.post(
            "/graphql", content=stream(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413
        assert streamed.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
        fine = await client.post("/graphql", json={"query": "{ __typename }"})
        assert fine.json() == {"data": {"__typename": "Query"}}


async def test_the_app_state_is_there_exactly_while_the_lifespan_runs(tmp_path: Path) -> None:
    """Typed and complete, or a clear error: never a half-filled runtime read by an assert."""
    app = create_app(_settings(tmp_path, "dev"))
    with pytest.raises(NotStartedError, match="has not finished starting"):
        app_state(app)
    async with app.router.lifespan_context(app):
        state = app_state(app)
        assert state.collaborators.engine.version and state.redis is None
        assert state.redis_health is None and state.settings.env == "dev"
    with pytest.raises(NotStartedError):
        app_state(app)
