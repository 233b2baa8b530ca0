"""Every response carries the security headers; HTML pages get a same-origin-only CSP."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import HTMLResponse
from starlette.routing import Route

from server.security_headers import SecurityHeaders
from tests.conftest import Api


async def test_the_api_answers_with_the_security_headers(api: Api) -> None:
    for response in (
        await api.client.get("/healthz"),
        await api.client.post("/graphql", json={"query": "{ __typename }"}),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"
        assert "content-security-policy" not in response.headers  # JSON, not a page


async def test_html_pages_allow_only_this_origin() -> None:
    async def page(_request: object) -> HTMLResponse:
        return HTMLResponse("<p>评价</p>")

    app = Starlette(routes=[Route("/w/W-01", page)], middleware=[Middleware(SecurityHeaders)])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hcp.test"
    ) as client:
        response = await client.get("/w/W-01")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
