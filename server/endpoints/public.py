"""The public disclosure, no login: GET /public/ (the page, under its own strict CSP),
/public/assets/{name}, /public/figures.json?month=YYYY-MM[&region=CODE] and
/public/comments.json?month=YYYY-MM[&region=CODE][&after=CURSOR].

The JSON answers come from the process's cache (services.disclosure) with a strong ETag
and `Cache-Control: public, max-age=…` (HCP_PUBLIC_CACHE_SECONDS), and 304 when the
client's If-None-Match names the ETag. A bad month, region or cursor is 400 with
`{"code", "message"}`. Nothing here reads a token or sets a cookie."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from rules import Engine
from server.security_headers import PUBLIC_POLICY
from server.state import app_state
from services.disclosure import (
    PublicCache,
    PublicRefusal,
    Published,
    public_comments,
    public_figures,
)

STATIC = Path(__file__).resolve().parent.parent / "public_page"
ASSET = re.compile(r"^[a-z0-9-]+\.(?:js|css)$")
_NO_STORE = {"cache-control": "no-store"}


def public_routes() -> list[BaseRoute]:
    return [
        Route("/public", lambda _r: RedirectResponse("/public/", status_code=308)),
        Route("/public/", _page),
        Route("/public/assets/{name}", _asset),
        Route("/public/figures.json", _figures),
        Route("/public/comments.json", _comments),
    ]


def _max_age(request: Request) -> dict[str, str]:
    seconds = int(app_state(request).settings.public_cache_seconds)
    return {"cache-control": f"public, max-age={seconds}"}


async def _page(request: Request) -> Response:
    headers = {**_max_age(request), "content-security-policy": PUBLIC_POLICY}
    return FileResponse(STATIC / "index.html", media_type="text/html", headers=headers)


async def _asset(request: Request) -> Response:
    name = request.path_params["name"]
    if not ASSET.match(name) or not (STATIC / name).is_file():
        return Response("Not Found", status_code=404, headers=_NO_STORE)
    return FileResponse(STATIC / name, headers=_max_age(request))


async def _figures(request: Request) -> Response:
    query = request.query_params
    return await _answer(
        request,
        lambda cache, engine, now: public_figures(
            month=query.get("month"),
            region=query.get("region"),
            engine=engine,
            cache=cache,
            now=now,
        ),
    )


async def _comments(request: Request) -> Response:
    query = request.query_params
    return await _answer(
        request,
        lambda cache, engine, now: public_comments(
            month=query.get("month"),
            region=query.get("region"),
            after=query.get("after"),
            engine=engine,
            cache=cache,
            now=now,
        ),
    )


Ask = Callable[[PublicCache, Engine, datetime], Awaitable[Published]]


async def _answer(request: Request, ask: Ask) -> Response:
    state = app_state(request)
    collaborators = state.collaborators
    found = await ask(state.public, collaborators.engine, collaborators.clock())
    if isinstance(found, PublicRefusal):
        body = {"code": found.code, "message": found.message}
        return JSONResponse(body, status_code=400, headers=_NO_STORE)
    headers = {**_max_age(request), "etag": found.etag}
    if _matches(request.headers.get("if-none-match", ""), found.etag):
        return Response(status_code=304, headers=headers)
    return Response(found.body, media_type="application/json", headers=headers)


def _matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match compares weakly (RFC 9110 13.1.2): W/ is ignored, * matches any."""
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags
