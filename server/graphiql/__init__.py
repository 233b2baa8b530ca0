"""GraphiQL (dev only) served by the app itself: its page, the script that starts it, and the
vendored React and GraphiQL builds (vendor/VERSIONS.md), so that it works with no CDN."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Route

HERE = Path(__file__).parent
# Only these files are served, each by its exact name.
_FILES = {
    "start.js": HERE / "start.js",
    "start.css": HERE / "start.css",
    **{
        f"vendor/{name}": HERE / "vendor" / name
        for name in (
            "react.production.min.js",
            "react-dom.production.min.js",
            "graphiql.min.js",
            "graphiql.min.css",
        )
    },
}


def graphiql_page(policy: str) -> HTMLResponse:
    """The GraphiQL page, under its own Content-Security-Policy."""
    page = (HERE / "page.html").read_text(encoding="utf-8")
    return HTMLResponse(
        page, headers={"content-security-policy": policy, "cache-control": "no-cache"}
    )


def graphiql_routes() -> list[BaseRoute]:
    return [Route("/graphiql/{name:path}", _asset)]


async def _asset(request: Request) -> Response:
    found = _FILES.get(request.path_params["name"])
    if found is None:
        return Response("Not Found", status_code=404)
    return FileResponse(found, headers={"cache-control": "no-cache"})
