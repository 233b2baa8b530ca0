"""实名登录 goes to the platform's login entry the server names (HCP_LOGIN_URL), with the
page's own address as `return`; the platform hands the citizen back with `#token=`. In
production without HCP_LOGIN_URL the pages say sign-in is not available, never a dead button.

The platform is the one true external border here: the browser's requests to it are
answered by the test (page.route), everything else is the real app."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import new_postgres_database
from tests.e2e.conftest import (
    HCP,
    MOBILE,
    Screen,
    Served,
    expect,
    new_citizen,
    screen_at,
    serve,
    server_env,
)

PLATFORM = "https://sso.example.gov.cn"


async def _to_the_platform(screen: Screen, path: str) -> str:
    """Open `path`, press 实名登录, and return the address the browser was sent to."""
    page = screen.page
    asked: list[str] = []

    async def platform(route: Any) -> None:
        asked.append(route.request.url)
        await route.fulfill(content_type="text/html", body="<p>platform</p>")

    await page.route(f"{PLATFORM}/**", platform)
    await page.goto(path)
    await page.get_by_role("button", name="实名登录").click()
    await page.wait_for_url(f"{PLATFORM}/**")
    assert len(asked) == 1
    address: str = page.url
    return address


def _back(served: Served, path: str) -> str:
    return quote(f"{served.base}{path}", safe="")


@pytest.fixture(scope="module")
def identity_provider() -> Iterator[rsa.RSAPrivateKey]:
    yield rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def prod_env(
    tmp_path_factory: pytest.TempPathFactory, identity_provider: rsa.RSAPrivateKey
) -> Iterator[dict[str, str]]:
    """What a production `hcp serve` needs: PostgreSQL (migrated), the identity provider's
    RS256 public key, a data key, HCP_ENV=prod; a database of its own, dropped after."""
    public_pem = identity_provider.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with new_postgres_database("hcp_e2e_login") as database:
        settings = {
            "HCP_ENV": "prod",
            "HCP_DATABASE_URL": database,
            "HCP_JWT_SECRET": "",
            "HCP_JWT_PUBLIC_KEY": public_pem.decode(),
        }
        var = tmp_path_factory.mktemp("prod")
        subprocess.run(
            [str(HCP), "migrate"], env=server_env(var, **settings), check=True, timeout=120
        )
        yield settings


def _platform_token(key: rsa.RSAPrivateKey) -> str:
    """What the real platform hands back: a citizen token signed with its private key."""
    citizen = new_citizen("平台登录人")
    now = datetime.now(UTC)
    claims = {
        "sub": "platform-user-1",
        "role": "citizen",
        "id_number": citizen.id_number,
        "name": citizen.name,
        "iat": now,
        "exp": now + timedelta(minutes=30),
    }
    return jwt.encode(claims, key, algorithm="RS256")


@pytest.mark.postgres
async def test_production_login_button_goes_to_hcp_login_url_and_back(
    browser: Any,
    prod_env: dict[str, str],
    identity_provider: rsa.RSAPrivateKey,
    tmp_path: Path,
) -> None:
    entry = f"{PLATFORM}/auth?app=hcp#/real-name"
    with serve(tmp_path, HCP_LOGIN_URL=entry, **prod_env) as app:
        async for screen in screen_at(browser, app, MOBILE):
            sent_to = await _to_the_platform(screen, "/m/")
            # The entry's own query and fragment kept, the return address added to its query.
            assert sent_to == f"{PLATFORM}/auth?app=hcp&return={_back(app, '/m/')}#/real-name"

            page = screen.page
            await page.goto(f"/m/#token={_platform_token(identity_provider)}")
            await expect(page.get_by_text("您还没有办件记录。")).to_be_visible()
            await expect(page.get_by_role("button", name="退出")).to_be_visible()
            assert "token=" not in page.url
            await screen.shot("login-prod-back-from-platform")
        assert "HCP_LOGIN_URL is unset" not in app.log.read_text()


@pytest.mark.postgres
async def test_production_without_hcp_login_url_says_sign_in_is_unavailable(
    browser: Any, prod_env: dict[str, str], tmp_path: Path
) -> None:
    with serve(tmp_path, **prod_env) as app:
        async for screen in screen_at(browser, app, MOBILE):
            page = screen.page
            await page.goto("/m/")
            await expect(page.get_by_role("note")).to_have_text(
                "实名登录暂未开通，暂时无法在本页登录。"
                "您可以在办事窗口的评价器上评价，或咨询大厅工作人员。"
            )
            await expect(page.get_by_role("button", name="实名登录")).to_have_count(0)
            await screen.shot("login-prod-not-configured")
            missing = await page.request.get("/mock-platform/login")
            assert missing.status == 404
        assert "HCP_LOGIN_URL is unset" in app.log.read_text()


async def test_a_login_entry_naming_its_return_parameter_gets_it_filled_in(
    browser: Any, tmp_path: Path
) -> None:
    entry = f"{PLATFORM}/oauth/authorize?client_id=hcp&redirect_uri={{return}}&scope=real_name"
    with serve(tmp_path, "--demo", HCP_LOGIN_URL=entry) as app:
        async for screen in screen_at(browser, app, MOBILE):
            sent_to = await _to_the_platform(screen, "/w/W-01")
    back = _back(app, "/w/W-01")
    assert sent_to == (
        f"{PLATFORM}/oauth/authorize?client_id=hcp&redirect_uri={back}&scope=real_name"
    )
