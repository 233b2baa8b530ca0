"""What the citizen and hall clients are served: `windowInfo`, the windows' QR codes, the
pages (with the strict CSP) and, outside production only, the mock platform login."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import zxingcpp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from PIL import Image

from models.reference import Staff, StaffWindow, Window
from server.app import create_app
from tests.conftest import SECRET, Api, make_settings
from tests.factories import WANG, case_input

INFO = (
    "query($c: String!) { windowInfo(code: $c) "
    "{ code name hallName department { code name } staffOnDuty } }"
)
CHEN_STAFF: dict[str, Any] = {"staffCode": "S-02", "staffName": "陈建国"}


async def roster(*pairs: tuple[str, str]) -> None:
    """The hall's roster (staff_window, as `hcp import` writes it): (staff, window) codes."""
    for staff, window in pairs:
        await StaffWindow.create(
            staff=await Staff.get(code=staff), window=await Window.get(code=window)
        )


async def test_window_info_is_public_and_names_the_staff_on_duty(api: Api) -> None:
    await api.ingest(
        case_input("I-1"),  # W-01 by S-01, two days ago
        case_input("I-2", windowCode="W-02", windowName="综合受理2号窗口", **CHEN_STAFF),
        case_input("I-4", windowCode="W-03", windowName="综合受理3号窗口", **CHEN_STAFF),
    )
    # Both of the department's staff are rostered, each at their own window; W-03 has none.
    await roster(("S-01", "W-01"), ("S-02", "W-02"))
    before = (await api.gql(INFO, {"c": "W-01"}))["data"]["windowInfo"]
    assert before == {
        "code": "W-01",
        "name": "综合受理1号窗口",
        "hallName": None,
        "department": {"code": "D-SCJG", "name": "区市场监管局"},
        "staffOnDuty": ["李晓燕"],  # nobody served here today: the window's roster, not 陈建国
    }
    on_duty = "query($c: String!) { windowInfo(code: $c) { staffOnDuty } }"
    assert (await api.gql(on_duty, {"c": "W-02"}))["data"]["windowInfo"]["staffOnDuty"] == [
        "陈建国"
    ]
    # No roster and nobody served today: nobody is named (the page shows "—").
    assert (await api.gql(on_duty, {"c": "W-03"}))["data"]["windowInfo"]["staffOnDuty"] == []
    today = case_input(
        "I-3",
        acceptedAt="2026-11-20T19:00:00+08:00",
        completedAt="2026-11-20T19:30:00+08:00",
        **CHEN_STAFF,
    )
    await api.ingest(today)
    after = (await api.gql(INFO, {"c": "W-01"}))["data"]["windowInfo"]
    assert after["staffOnDuty"] == ["陈建国"]  # who served here today, whatever the roster says
    assert (await api.gql(on_duty, {"c": "W-02"}))["data"]["windowInfo"]["staffOnDuty"] == [
        "陈建国"
    ]
    missing = await api.gql(INFO, {"c": "W-NONE"})
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def decode(png: bytes) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


async def test_each_window_has_a_static_qr_code_to_its_scan_page(api: Api) -> None:
    await api.ingest(case_input("Q-1"))
    png = await api.client.get("/qr/W-01.png")
    assert png.headers["content-type"] == "image/png"
    # No HCP_PUBLIC_URL: the address the request came in on, never kept by a cache.
    assert decode(png.content) == ["http://hcp.test/w/W-01"]
    assert png.headers["cache-control"] == "no-store"
    svg = await api.client.get("/qr/W-01.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<script" not in svg.content
    for path in ("/qr/W-NONE.png", "/qr/W-NONE.svg", "/qr/W-NONE/poster"):
        assert (await api.client.get(path)).status_code == 404, path
    poster = await api.client.get("/qr/W-01/poster")
    assert poster.status_code == 200
    assert 'src="/mp/poster.js"' in poster.text


@pytest.mark.parametrize("path", ["/w/W-01", "/m/", "/pad/W-01", "/mock-platform/login"])
async def test_pages_load_nothing_from_elsewhere(api: Api, path: str) -> None:
    response = await api.client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "<script>" not in response.text and "style=" not in response.text
    assert "http" not in response.text.replace("http-equiv", "")


async def test_assets_are_served_by_name_only(api: Api) -> None:
    assert (await api.client.get("/mp/common.css")).headers["content-type"].startswith("text/css")
    assert "javascript" in (await api.client.get("/mp/api.js")).headers["content-type"]
    for path in ("/mp/nope.js", "/mp/..%2Froutes.py", "/mp/__init__.py", "/mp/login.html"):
        assert (await api.client.get(path)).status_code == 404, path
    moved = await api.client.get("/m")
    assert moved.status_code == 308 and moved.headers["location"] == "/m/"


async def test_the_mock_platform_signs_a_citizen_token_the_api_trusts(api: Api) -> None:
    listed = (await api.client.get("/mock-platform/citizens")).json()
    assert listed["canSign"] is True
    assert WANG["idNumber"] in {c["idNumber"] for c in listed["citizens"]}
    identity = {"name": WANG["name"], "idNumber": WANG["idNumber"], "phone": WANG["phone"]}
    issued = (await api.client.post("/mock-platform/token", json=identity)).json()["token"]
    claims = jwt.decode(issued, SECRET, algorithms=["HS256"])
    assert claims["role"] == "citizen" and claims["sub"].startswith("mp-")
    assert (claims["id_number"], claims["name"], claims["phone"]) == (
        WANG["idNumber"],
        WANG["name"],
        WANG["phone"],
    )
    assert WANG["idNumber"] not in claims["sub"] and claims["exp"] > claims["iat"]
    await api.ingest(case_input("L-1"))
    mine = await api.gql("{ myCases { totalCount } }", token=issued)
    assert mine["data"]["myCases"]["totalCount"] == 1

    for bad, code in (
        ({**identity, "idNumber": "110105194912310021"}, "INVALID_ID_NUMBER"),
        ({**identity, "name": ""}, "BAD_INPUT"),
        (["not", "an", "object"], "BAD_INPUT"),
    ):
        refused = await api.client.post("/mock-platform/token", json=bad)
        assert (refused.status_code, refused.json()) == (400, {"error": code})


async def _get(settings: Any, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """A request to an app that is never started: these routes need no database."""
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://hcp.test") as client:
        return await client.request(method, path, **kwargs)


async def test_the_mock_platform_is_not_served_in_production(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, "sqlite://:memory:", env="prod", jwt_secret=None)
    for method, path in (
        ("GET", "/mock-platform/login"),
        ("GET", "/mock-platform/citizens"),
        ("POST", "/mock-platform/token"),
    ):
        assert (await _get(settings, method, path)).status_code == 404, path


async def test_the_mock_platform_cannot_sign_when_the_api_trusts_a_public_key(
    tmp_path: Path,
) -> None:
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    settings = make_settings(tmp_path, "sqlite://:memory:", jwt_secret=None, jwt_public_key=pem)
    listed = (await _get(settings, "GET", "/mock-platform/citizens")).json()
    assert listed["canSign"] is False
    refused = await _get(settings, "POST", "/mock-platform/token", json={"name": "x"})
    assert (refused.status_code, refused.json()) == (503, {"error": "NO_SIGNING_KEY"})


async def test_pages_that_sign_citizens_in_are_told_the_login_entry(tmp_path: Path) -> None:
    dev = make_settings(tmp_path, "sqlite://:memory:")
    platform = make_settings(
        tmp_path, "sqlite://:memory:", login_url='https://sso.example.gov.cn/login?app=hcp&x="<'
    )
    prod = make_settings(tmp_path, "sqlite://:memory:", env="prod", jwt_secret=None)
    for settings, content in (
        (dev, "/mock-platform/login"),
        (platform, "https://sso.example.gov.cn/login?app=hcp&amp;x=&quot;&lt;"),
        (prod, ""),  # prod without HCP_LOGIN_URL: the pages say sign-in is not available
    ):
        page = await _get(settings, "GET", "/m/")
        assert f'<meta name="hcp-login-url" content="{content}">' in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]


async def test_graphiql_is_served_from_this_origin_in_dev_only(api: Api, tmp_path: Path) -> None:
    page = await api.client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe" not in policy
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/graphiql/") for s in sources), sources
    for source in sources:
        assert (await api.client.get(source)).status_code == 200, source
    for path in ("/graphiql/vendor/VERSIONS.md", "/graphiql/..%2F__init__.py", "/graphiql/"):
        assert (await api.client.get(path)).status_code == 404, path

    prod = make_settings(tmp_path, "sqlite://:memory:", env="prod", jwt_secret=None)
    assert (await _get(prod, "GET", sources[0])).status_code == 404
