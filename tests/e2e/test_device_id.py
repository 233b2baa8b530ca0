"""The pages' device id: issued by the server once, kept in the browser, sent with every
call, and replaced when the server no longer recognises the one kept."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.e2e.conftest import Screen, Served, expect

SIGNED = re.compile(r"^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$")
FORGED = "a" * 22 + "." + "b" * 22


def devices_sent(page: Any) -> list[str | None]:
    """The X-HCP-Device header of every GraphQL call the page makes from now on."""
    sent: list[str | None] = []

    def seen(request: Any) -> None:
        if request.url.endswith("/graphql"):
            sent.append(request.headers.get("x-hcp-device"))

    page.on("request", seen)
    return sent


async def test_the_scan_page_sends_the_device_id_the_server_issued(
    mobile: Screen, served: Served
) -> None:
    page = mobile.page
    sent = devices_sent(page)
    await page.goto("/w/W-01")
    await expect(page.locator("#window-name")).to_have_text("综合受理1号窗口")
    kept = await page.evaluate("localStorage.getItem('hcp.device')")
    assert SIGNED.match(kept)
    assert sent and set(sent) == {kept}
    async with httpx.AsyncClient(base_url=served.base) as client:
        confirmed = await client.post("/device", headers={"x-hcp-device": kept})
    assert confirmed.json() == {"device": kept}

    # An id the server did not issue (or no longer recognises) is replaced on the next page.
    await page.evaluate(f"localStorage.setItem('hcp.device', '{FORGED}')")
    sent.clear()
    await page.reload()
    await expect(page.locator("#window-name")).to_have_text("综合受理1号窗口")
    replaced = await page.evaluate("localStorage.getItem('hcp.device')")
    assert SIGNED.match(replaced) and replaced not in (kept, FORGED)
    assert set(sent) == {replaced}
