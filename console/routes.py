"""The console's routes: its page (at /console/ and, for the dashboard, the rules
workbench and the pads' pairing, /console/stats, /console/rules and /console/pads), its
assets and vendored libraries and, outside production, the mock staff login that plays the
staff identity provider."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from server import secrets
from server.auth import addressed, mint
from server.json_body import strict_json
from server.security_headers import CONSOLE_POLICY
from server.settings import Settings

STATIC = Path(__file__).with_name("static")
ASSET = re.compile(r"^[a-z0-9-]+\.(?:js|css)$")
# The vendored libraries (static/vendor/README.md), each by its exact, versioned name: a new
# version is a new name, so a browser may keep a copy for a year.
VENDORED = frozenset({"echarts-6.1.0.min.js"})
_VENDOR_HEADERS = {"cache-control": "public, max-age=31536000, immutable"}
TOKEN_LIFETIME = timedelta(hours=8)  # a working day's shift
MOCK_LOGIN = "/console/login"
# Where console.js learns the login entry: the server fills it in, since the page's CSP
# allows no inline script. Empty in production, where the identity provider signs staff in.
_LOGIN_META = '<meta name="hcp-staff-login" content="">'
_PAGE_HEADERS = {"cache-control": "no-cache", "content-security-policy": CONSOLE_POLICY}
Endpoint = Callable[[Request], Awaitable[Response]]

# The demo district's staff, one of each role that works the loop (server/demo/catalog.yaml:
# 区市场监管局 D-SCJG in 宁波市奉化区 330283), and the district's policy staff, who edit the
# policy in the rules workbench. The handler is nobody rated at a window.
DEMO_STAFF: tuple[dict[str, str], ...] = (
    {
        "sub": "console-dept-handler-scjg",
        "role": "dept_handler",
        "name": "赵敏",
        "staff_code": "S-30",
        "department_code": "D-SCJG",
        "region_code": "330283",
        "title": "区市场监管局 部门差评处理人员",
    },
    {
        "sub": "console-window-staff-s01",
        "role": "window_staff",
        "name": "李晓燕",
        "staff_code": "S-01",
        "department_code": "D-SCJG",
        "region_code": "330283",
        "title": "区市场监管局 综合受理1号窗口 窗口人员",
    },
    {
        "sub": "console-area-admin-330283",
        "role": "area_admin",
        "name": "钱志远",
        "region_code": "330283",
        "title": "宁波市奉化区 地区管理员",
    },
    {
        "sub": "console-policy-staff-330283",
        "role": "policy_staff",
        "name": "钱立",
        "region_code": "330283",
        "title": "宁波市奉化区 政策法规科 政策工作人员",
    },
)
_CLAIMS = ("sub", "role", "name", "staff_code", "department_code", "region_code")


def console_routes(settings: Settings) -> list[BaseRoute]:
    """The console; its mock staff login only outside production."""
    login = "" if settings.is_prod else MOCK_LOGIN
    routes: list[BaseRoute] = [
        Route("/console", lambda _r: RedirectResponse("/console/", status_code=308)),
        Route("/console/", _page("index.html", login=login)),
        Route("/console/stats", _page("index.html", login=login)),
        Route("/console/rules", _page("index.html", login=login)),
        Route("/console/pads", _page("index.html", login=login)),
        Route("/console/assets/{name}", _asset),
        Route("/console/assets/vendor/{name}", _vendored),
    ]
    if not settings.is_prod:
        routes += [
            Route(MOCK_LOGIN, _page("login.html")),
            Route("/console/mock-staff", _staff(settings)),
            Route("/console/mock-token", _issue(settings), methods=["POST"]),
        ]
    return routes


async def _asset(request: Request) -> Response:
    name = request.path_params["name"]
    if not ASSET.match(name) or not (STATIC / name).is_file():
        return Response("Not Found", status_code=404)
    return FileResponse(STATIC / name, headers={"cache-control": "no-cache"})


async def _vendored(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in VENDORED:
        return Response("Not Found", status_code=404)
    return FileResponse(STATIC / "vendor" / name, headers=_VENDOR_HEADERS)


def _page(name: str, *, login: str | None = None) -> Endpoint:
    """A page under the console's policy; the sign-in page gets the login entry written in."""

    async def page(_request: Request) -> Response:
        text = (STATIC / name).read_text(encoding="utf-8")
        if login is not None:
            text = text.replace(_LOGIN_META, f'<meta name="hcp-staff-login" content="{login}">')
        return HTMLResponse(text, headers=_PAGE_HEADERS)

    return page


def _staff(settings: Settings) -> Endpoint:
    """The demo staff, offered for one-click sign-in."""

    async def staff(_request: Request) -> Response:
        listed = [{"sub": s["sub"], "name": s["name"], "title": s["title"]} for s in DEMO_STAFF]
        can_sign = secrets.jwt_secret(settings) is not None
        return JSONResponse({"canSign": can_sign, "staff": listed})

    return staff


def _issue(settings: Settings) -> Endpoint:
    """Plays the staff identity provider: a JWT with the identity contract's claims for one
    of the demo staff, signed with the dev HS256 secret the backend trusts."""

    async def issue(request: Request) -> Response:
        secret = secrets.jwt_secret(settings)
        if secret is None:
            return JSONResponse({"error": "NO_SIGNING_KEY"}, status_code=503)
        try:
            body: Any = strict_json(await request.body())
            chosen = next(s for s in DEMO_STAFF if s["sub"] == body.get("sub"))
        except (ValueError, TypeError, AttributeError, StopIteration):
            return JSONResponse({"error": "BAD_INPUT"}, status_code=400)
        claims = {key: chosen[key] for key in _CLAIMS if key in chosen}
        claims = addressed(claims, issuer=settings.jwt_issuer, audience=settings.jwt_audience)
        return JSONResponse({"token": mint(secret, claims, ttl=TOKEN_LIFETIME)})

    return issue
