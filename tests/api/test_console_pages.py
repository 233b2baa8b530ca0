"""What the staff console is served: its pages under the console's strict CSP (which allows
blob: images for the evidence it fetches with the token) and, outside production only, the
mock staff login, whose tokens the API trusts as the staff they name."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from console.routes import STATIC
from server.app import create_app
from server.security_headers import CONSOLE_POLICY
from tests.conftest import SECRET, Api, make_settings

VIEWER = "{ viewer { subject role departmentCode regionCode } }"


async def _get(settings: Any, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """A request to an app that is never started: these routes need no database."""
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://hcp.test") as client:
        return await client.request(method, path, **kwargs)


@pytest.mark.parametrize(
    "path", ["/console/", "/console/stats", "/console/rules", "/console/pads", "/console/login"]
)
async def test_console_pages_carry_the_security_headers_and_load_nothing_from_elsewhere(
    api: Api, path: str
) -> None:
    response = await api.client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == CONSOLE_POLICY
    assert "script-src 'self';" in CONSOLE_POLICY and "unsafe" not in CONSOLE_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "<script>" not in response.text and "style=" not in response.text
    assert "http" not in response.text


async def test_console_assets_are_served_by_name_only(api: Api) -> None:
    moved = await api.client.get("/console")
    assert moved.status_code == 308 and moved.headers["location"] == "/console/"
    script = await api.client.get("/console/assets/console.js")
    assert "javascript" in script.headers["content-type"]
    for path in ("/console/assets/nope.js", "/console/assets/index.html", "/console/routes.py"):
        assert (await api.client.get(path)).status_code == 404, path


async def test_the_vendored_charts_are_served_by_their_versioned_name_only(api: Api) -> None:
    """ECharts (console/static/vendor/README.md): its exact file, cached for a year since a
    new version is a new name; nothing else of the folder, and no way out of it."""
    vendored = STATIC / "vendor" / "echarts-6.1.0.min.js"
    script = await api.client.get("/console/assets/vendor/echarts-6.1.0.min.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert script.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert script.content == vendored.read_bytes()
    assert hashlib.sha256(script.content).hexdigest() in (vendored.parent / "README.md").read_text()
    for path in (
        "/console/assets/vendor/README.md",
        "/console/assets/vendor/LICENSE.echarts",
        "/console/assets/vendor/echarts-6.0.0.min.js",
        "/console/assets/vendor/..%2Froutes.py",
        "/console/assets/vendor/%2E%2E%2F%2E%2E%2Fpyproject.toml",
        "/console/assets/vendor/sub/echarts-6.1.0.min.js",
        "/console/assets/vendor.js",
        "/console/assets/echarts-6.1.0.min.js",
    ):
        assert (await api.client.get(path)).status_code == 404, path


async def test_the_mock_staff_login_signs_tokens_the_api_trusts(api: Api) -> None:
    page = await api.client.get("/console/")
    assert '<meta name="hcp-staff-login" content="/console/login">' in page.text
    listed = (await api.client.get("/console/mock-staff")).json()
    assert listed["canSign"] is True
    subjects = [person["sub"] for person in listed["staff"]]
    roles = []
    for subject in subjects:
        issued = await api.client.post("/console/mock-token", json={"sub": subject})
        claims = jwt.decode(issued.json()["token"], SECRET, algorithms=["HS256"])
        viewer = (await api.gql(VIEWER, token=issued.json()["token"]))["data"]["viewer"]
        assert viewer["subject"] == subject == claims["sub"]
        roles.append((viewer["role"], viewer["departmentCode"], viewer["regionCode"]))
    assert roles == [
        ("dept_handler", "D-SCJG", "330283"),
        ("window_staff", "D-SCJG", "330283"),
        ("area_admin", None, "330283"),
        ("policy_staff", None, "330283"),
    ]
    for bad in ({"sub": "someone-else"}, ["not", "an", "object"], {}):
        refused = await api.client.post("/console/mock-token", json=bad)
        assert (refused.status_code, refused.json()) == (400, {"error": "BAD_INPUT"})


async def test_the_mock_staff_login_is_not_served_in_production(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, "sqlite://:memory:", env="prod", jwt_secret=None)
    for method, path in (
        ("GET", "/console/login"),
        ("GET", "/console/mock-staff"),
        ("POST", "/console/mock-token"),
    ):
        assert (await _get(settings, method, path)).status_code == 404, path
    page = await _get(settings, "GET", "/console/")
    assert page.status_code == 200
    # No login entry: the page says staff sign in through the identity provider.
    assert '<meta name="hcp-staff-login" content="">' in page.text
    assert page.headers["content-security-policy"] == CONSOLE_POLICY
