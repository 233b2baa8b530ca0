"""Cross-origin access follows HCP_CORS_ORIGINS, for plain HTTP and for the websocket."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin, Subprotocol

from server.app import create_app
from server.settings import Settings
from tests.conftest import make_settings, serving, token

ALLOWED = "https://mp.example.gov.cn"
FOREIGN = "https://evil.example"
PROTOCOLS = [Subprotocol("graphql-transport-ws")]


def _settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, f"sqlite://{tmp_path}/o.sqlite3", cors_origins=(ALLOWED,))


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[str]:
    app = create_app(_settings(tmp_path))
    async with app.router.lifespan_context(app), serving(app) as where:
        yield where


async def test_http_cross_origin_reads_only_for_the_configured_origins(served: str) -> None:
    async with httpx.AsyncClient(base_url=f"http://{served}") as client:
        for origin, allowed in ((ALLOWED, True), (FOREIGN, False)):
            preflight = await client.options(
                "/graphql",
                headers={
                    "origin": origin,
                    "access-control-request-method": "POST",
                    "access-control-request-headers": "authorization, content-type",
                },
            )
            granted = preflight.headers.get("access-control-allow-origin")
            assert (granted == origin) is allowed, preflight.headers
            post = await client.post(
                "/graphql", json={"query": "{ __typename }"}, headers={"origin": origin}
            )
            assert (post.headers.get("access-control-allow-origin") == origin) is allowed


async def test_websockets_open_only_from_the_configured_origins(served: str) -> None:
    url = f"ws://{served}/graphql"
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token('system')}"}}
    async with connect(url, subprotocols=PROTOCOLS, origin=Origin(ALLOWED)) as ws:
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, subprotocols=PROTOCOLS, origin=Origin(FOREIGN)):
            pass
    assert refused.value.response.status_code == 403
