"""The client's address: forwarded headers count only when the direct peer is one of
HCP_TRUSTED_PROXIES, and then the right-most address that is not itself a trusted proxy."""

from __future__ import annotations

from ipaddress import ip_network
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from server.app import create_app
from server.client_address import ClientAddress
from server.settings import Settings, SettingsError
from tests.conftest import make_settings

PROXIES = "10.0.0.0/8, 192.0.2.7, 2001:db8:1::/48"


async def seen_by_app(peer: str, headers: list[tuple[str, str]], trusted: str = PROXIES) -> str:
    """The address the application sees for a request from `peer` carrying `headers`."""

    async def echo(request: Request) -> PlainTextResponse:
        assert request.client is not None
        return PlainTextResponse(request.client.host)

    proxies = Settings.from_env({"HCP_TRUSTED_PROXIES": trusted}).trusted_proxies
    app = Starlette(
        routes=[Route("/", echo)], middleware=[Middleware(ClientAddress, trusted=proxies)]
    )
    transport = httpx.ASGITransport(app=app, client=(peer, 4321))
    async with httpx.AsyncClient(transport=transport, base_url="http://hcp.test") as client:
        return (await client.get("/", headers=headers)).text


async def test_an_untrusted_peer_cannot_name_another_address() -> None:
    spoofed = [("x-forwarded-for", "198.51.100.9")]
    assert await seen_by_app("203.0.113.5", spoofed) == "203.0.113.5"
    assert await seen_by_app("2001:db8:2::5", spoofed) == "2001:db8:2::5"
    assert await seen_by_app("10.1.2.3", spoofed, trusted="") == "10.1.2.3"


async def test_a_trusted_proxy_tells_the_client_address() -> None:
    assert await seen_by_app("10.1.2.3", [("x-forwarded-for", "198.51.100.9")]) == "198.51.100.9"
    assert await seen_by_app("192.0.2.7", [("x-forwarded-for", "2001:db8:9::1")]) == "2001:db8:9::1"
    assert await seen_by_app("2001:db8:1:ff::2", [("x-forwarded-for", "[2001:db8:9::1]:5555")]) == (
        "2001:db8:9::1"
    )


async def test_the_right_most_address_not_a_trusted_proxy_is_the_client() -> None:
    # The client planted the first entry; the load balancer (10.9.9.9) appended the
    # address it saw, and the next proxy appended the load balancer's.
    chain = [("x-forwarded-for", "1.2.3.4, 198.51.100.9:443"), ("x-forwarded-for", "10.9.9.9")]
    assert await seen_by_app("10.1.2.3", chain) == "198.51.100.9"


async def test_a_peer_that_is_an_ipv4_mapped_address_is_matched_as_ipv4() -> None:
    forwarded = [("x-forwarded-for", "198.51.100.9")]
    assert await seen_by_app("::ffff:10.1.2.3", forwarded) == "198.51.100.9"


async def test_what_cannot_be_read_as_an_address_is_not_taken_for_one() -> None:
    assert await seen_by_app("10.1.2.3", [("x-forwarded-for", "unknown")]) == "10.1.2.3"
    assert await seen_by_app("10.1.2.3", [("x-forwarded-for", "evil, 10.9.9.9")]) == "10.9.9.9"
    assert await seen_by_app("10.1.2.3", []) == "10.1.2.3"


def test_the_trusted_proxies_are_addresses_and_networks(tmp_path: Path) -> None:
    env = {"HCP_VAR_DIR": str(tmp_path)}
    assert Settings.from_env(env).trusted_proxies == ()
    parsed = Settings.from_env({**env, "HCP_TRUSTED_PROXIES": "10.0.0.0/8,::1"}).trusted_proxies
    assert [str(n) for n in parsed] == ["10.0.0.0/8", "::1/128"]
    with pytest.raises(SettingsError, match="HCP_TRUSTED_PROXIES"):
        Settings.from_env({**env, "HCP_TRUSTED_PROXIES": "proxy.internal"})
    with pytest.raises(SettingsError, match="HCP_TRUSTED_PROXIES"):
        Settings.from_env({**env, "HCP_TRUSTED_PROXIES": "10.0.0.1/8"})


def test_the_app_resolves_the_address_before_any_other_middleware(tmp_path: Path) -> None:
    """Outermost, so the access log, the limits and the pages all see the same address."""
    settings = make_settings(tmp_path, "sqlite://:memory:", trusted_proxies=(ip_network("::1"),))
    first: Any = create_app(settings).user_middleware[0]
    assert (first.cls, first.kwargs) == (ClientAddress, {"trusted": settings.trusted_proxies})
