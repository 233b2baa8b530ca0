"""The routes of the clients: pages, their assets, the browsers' device ids, the windows'
QR codes and, outside production, the mock platform login and GraphiQL's files."""

from __future__ import annotations

import hashlib
import hmac
import html
import io
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import segno
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from server import secrets
from server.auth import addressed, mint
from server.demo import load_catalog
from server.devices import HEADER, device_of, issue_device_id, recognised
from server.json_body import strict_json
from server.settings import Settings
from server.state import app_state
from services.abuse import check_device_issue, check_visit
from services.case_intake import normalise_id_number, normalise_phone
from services.identifiers import is_company_id, is_person_id, is_phone
from services.windows import window_exists

STATIC = Path(__file__).with_name("static")
ASSET = re.compile(r"^[a-z0-9-]+\.(?:js|css)$")
TOKEN_LIFETIME = timedelta(hours=2)
MOCK_LOGIN = "/mock-platform/login"
# Where a page learns the platform's login entry (session.js): the server fills it in, since
# the pages' CSP allows no inline script. Empty: no login is configured (prod without it).
_LOGIN_META = '<meta name="hcp-login-url" content="">'
_PAGE_HEADERS = {"cache-control": "no-cache"}
Endpoint = Callable[[Request], Awaitable[Response]]


def client_routes(settings: Settings) -> list[BaseRoute]:
    """Every client route; the mock platform and GraphiQL only outside production."""
    login = login_entry(settings)
    routes: list[BaseRoute] = [
        Route("/mp/{name}", _asset),
        Route("/device", _device, methods=["POST"]),
        Route("/w/{window_code}", _limited(_page("scan.html", login=login))),
        Route("/m", lambda _r: RedirectResponse("/m/", status_code=308)),
        Route("/m/", _page("cases.html", login=login)),
        Route("/pad/{window_code}", _page("pad.html")),
        Route("/qr/{window_code}.svg", _qr(settings, "svg")),
        Route("/qr/{window_code}.png", _qr(settings, "png")),
        Route("/qr/{window_code}/poster", _page("poster.html", window_must_exist=True)),
    ]
    if not settings.is_prod:
        routes += [
            Route(MOCK_LOGIN, _page("login.html")),
            Route("/mock-platform/citizens", _citizens(settings)),
            Route("/mock-platform/token", _issue(settings), methods=["POST"]),
        ]
    return routes


def login_entry(settings: Settings) -> str:
    """The platform's real-name login (HCP_LOGIN_URL); in dev without one, the mock's page;
    in prod without one, none: the pages then say so instead of offering a dead button."""
    if settings.login_url:
        return settings.login_url
    return "" if settings.is_prod else MOCK_LOGIN


async def _asset(request: Request) -> Response:
    name = request.path_params["name"]
    if not ASSET.match(name) or not (STATIC / name).is_file():
        return Response("Not Found", status_code=404)
    return FileResponse(STATIC / name, headers=_PAGE_HEADERS)


async def _device(request: Request) -> Response:
    """The browser's device id for the anti-abuse limits: the one it sends back when this
    server issued it (confirming costs nothing), else a new one, at most the policy's
    `device_ids` a client address (rules.yaml `abuse`). The pages rate without one when
    refused, so a shared address never keeps anyone from rating."""
    collaborators = app_state(request).collaborators
    kept = request.headers.get(HEADER, "")
    if kept and recognised(collaborators.vault, kept) is not None:
        return _no_store({"device": kept})
    refused = await check_device_issue(
        collaborators.counters,
        collaborators.engine.abuse(),
        address=request.client.host if request.client else None,
        now=collaborators.clock(),
    )
    if refused:
        return _no_store({"error": "RATE_LIMITED"}, status_code=429)
    return _no_store({"device": issue_device_id(collaborators.vault)})


def _no_store(body: dict[str, str], status_code: int = 200) -> Response:
    return JSONResponse(body, status_code=status_code, headers={"cache-control": "no-store"})


def _limited(endpoint: Endpoint) -> Endpoint:
    """The scan page under the policy's per-device and per-window limits (rules.yaml
    `abuse`): a flood of scans of one window, or from one device, gets 429. Only a device
    the server issued counts as one; the client address is not counted, since a hall's
    citizens may all share one, and the per-window limit bounds a flood from anywhere."""

    async def limited(request: Request) -> Response:
        collaborators = app_state(request).collaborators
        refused = await check_visit(
            collaborators.counters,
            collaborators.engine.abuse(),
            device=device_of(request),
            window=request.path_params["window_code"],
            now=collaborators.clock(),
        )
        if refused is not None:
            return Response(
                "访问过于频繁，请稍后再试", status_code=429, media_type="text/plain; charset=utf-8"
            )
        return await endpoint(request)

    return limited


def _page(name: str, *, window_must_exist: bool = False, login: str | None = None) -> Endpoint:
    """A page; one that signs citizens in gets the login entry written into its <meta>."""

    async def page(request: Request) -> Response:
        if window_must_exist and not await window_exists(request.path_params["window_code"]):
            return Response("未找到该窗口", status_code=404, media_type="text/plain")
        if login is None:
            return FileResponse(STATIC / name, media_type="text/html", headers=_PAGE_HEADERS)
        text = (STATIC / name).read_text(encoding="utf-8")
        filled = f'<meta name="hcp-login-url" content="{html.escape(login, quote=True)}">'
        return HTMLResponse(text.replace(_LOGIN_META, filled), headers=_PAGE_HEADERS)

    return page


def _qr(settings: Settings, kind: str) -> Endpoint:
    """The window's static QR code: the scan page's URL at HCP_PUBLIC_URL, else at the
    address this request came in on, the one the person printing the poster reached.

    That address comes from the request's Host header, which the client chooses: a forged
    one only reaches the client that forged it, as long as no cache keeps the image for
    others, hence no-store."""

    async def qr(request: Request) -> Response:
        code = request.path_params["window_code"]
        if not await window_exists(code):
            return Response("Not Found", status_code=404)
        base = settings.public_url or str(request.base_url).rstrip("/")
        headers = {} if settings.public_url else {"cache-control": "no-store"}
        symbol = segno.make(f"{base}/w/{quote(code, safe='')}", error="m")
        out = io.BytesIO()
        if kind == "svg":
            symbol.save(out, kind="svg", scale=10, border=4, xmldecl=False, title="窗口评价二维码")
            return Response(out.getvalue(), media_type="image/svg+xml", headers=headers)
        symbol.save(out, kind="png", scale=10, border=4)
        return Response(out.getvalue(), media_type="image/png", headers=headers)

    return qr


def _citizens(settings: Settings) -> Endpoint:
    """The demo's fictional people, offered for one-click sign-in."""

    async def citizens(_request: Request) -> Response:
        listed = [
            {"name": c["name"], "idNumber": c["id_number"], "phone": c["phone"]}
            for c in load_catalog()["citizens"]
        ]
        can_sign = secrets.jwt_secret(settings) is not None
        return JSONResponse({"canSign": can_sign, "citizens": listed})

    return citizens


def _issue(settings: Settings) -> Endpoint:
    """Plays the platform's real-name login: a JWT with the identity contract's claims,
    signed with the dev HS256 secret the backend trusts. With a public key or key set
    configured there is no secret to sign with, as with a real provider's private key."""

    async def issue(request: Request) -> Response:
        secret = secrets.jwt_secret(settings)
        if secret is None:
            return JSONResponse({"error": "NO_SIGNING_KEY"}, status_code=503)
        try:
            body: Any = strict_json(await request.body())
            claims = _identity(body, secret)
        except (ValueError, TypeError, AttributeError):
            return JSONResponse({"error": "BAD_INPUT"}, status_code=400)
        if claims is None:
            return JSONResponse({"error": "INVALID_ID_NUMBER"}, status_code=400)
        claims = addressed(claims, issuer=settings.jwt_issuer, audience=settings.jwt_audience)
        return JSONResponse({"token": mint(secret, claims, ttl=TOKEN_LIFETIME)})

    return issue


def _identity(body: dict[str, Any], secret: str) -> dict[str, Any] | None:
    """The claims of a real-name sign-in, its ID number and phone read as intake reads them."""
    name = str(body.get("name") or "").strip()
    id_number = normalise_id_number(str(body.get("idNumber") or ""))
    phone = normalise_phone(str(body.get("phone") or ""))
    if not 1 <= len(name) <= 64 or (phone and not is_phone(phone)):
        raise ValueError("name or phone")
    if not (is_person_id(id_number) or is_company_id(id_number)):
        return None
    # A stable subject that does not reveal the ID number (a plain hash of one is guessable).
    digest = hmac.new(secret.encode(), id_number.encode(), hashlib.sha256).hexdigest()
    subject = "mp-" + digest[:24]
    claims: dict[str, Any] = {
        "sub": subject,
        "role": "citizen",
        "id_number": id_number,
        "name": name,
    }
    if phone:
        claims["phone"] = phone
    return claims
