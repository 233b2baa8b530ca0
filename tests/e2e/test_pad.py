"""The evaluator pad: paired with a token from hall staff, it hears of a case completed at
its window over the windowEvents subscription, offers the five levels, goes back to idle
after the rating or a timeout, and reconnects by itself when the connection drops.

Each test gives its pad a window of its own: the suite shares one app, and a pad rightly
offers every unrated case completed at its window in the last HCP_PAD_RATING_MINUTES, the
cases other tests left at W-01 included."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.conftest import token
from tests.e2e.conftest import TABLET, Citizen, Screen, Served, at, expect, new_citizen, unique


@dataclass(frozen=True)
class PadWindow:
    code: str
    name: str

    def case(self, **extra: Any) -> dict[str, Any]:
        """The fields that put a case at this window."""
        return {"windowCode": self.code, "windowName": self.name, **extra}


async def new_window(served: Served, citizen: Citizen) -> PadWindow:
    """A window of the demo's department (D-SCJG) that only this test uses; a case
    completed two days ago (long past any pad's reach) brings it into being."""
    code = unique("W")
    window = PadWindow(code, f"测试受理{code[-4:]}号窗口")
    await served.case(citizen, unique("OLD"), **window.case(completedAt=at(2 * 24 * 60)))
    return window


async def stored_ratings(served: Served, case_no: str) -> list[dict[str, Any]]:
    body = await served.gql(
        "query($n: String!) { case(caseNo: $n) { ratings { level channel tags comment } } }",
        {"n": case_no},
        token("system"),
    )
    ratings: list[dict[str, Any]] = body["data"]["case"]["ratings"]
    return ratings


async def test_the_pad_rates_a_case_just_completed_at_its_window(
    tablet: Screen, served: Served
) -> None:
    page = tablet.page
    sockets: list[Any] = []

    async def relay(ws: Any) -> None:
        """A pass-through that lets the test cut the pad's connection like a network drop."""
        sockets.append(ws)
        ws.connect_to_server()

    await page.route_web_socket("**/graphql", relay)
    await page.clock.install()  # real time flows; the test may jump over the pad's timeouts
    citizen = new_citizen("评价器测试人")
    window = await new_window(served, citizen)
    pad_token = await served.pair_pad(window.code)
    # Pairing by code is tests/e2e/test_pad_pairing.py; here the credential comes in the
    # address, as a technician's set-up link would bring it.
    await page.goto(f"/pad/{window.code}#pair={pad_token}")
    status = page.locator("#connection")
    await expect(status).to_have_text("已连接")
    await expect(page.locator("#idle")).to_contain_text(window.name)
    await expect(page.locator("#queue-count")).to_have_text("")
    await tablet.every_size("pad-2-idle")

    first = unique("PAD")
    await served.case(citizen, first, **window.case(completedAt=at(1)))
    await expect(page.locator("#case-no")).to_have_text(first)
    await expect(page.locator("#case-matter")).to_have_text("营业执照设立登记")
    await expect(page.locator("#case-staff")).to_have_text("李晓燕")
    await expect(page.locator(".choice")).to_have_count(5)
    await tablet.every_size("pad-3-case")
    await tablet.every_size("pad-3-case", large_text=True)
    await page.set_viewport_size(TABLET)
    await page.get_by_text("非常满意", exact=True).click()
    await page.get_by_role("button", name="提交评价").click()
    await expect(page.get_by_text("感谢您的评价！（非常满意）")).to_be_visible()
    await tablet.shot("pad-4-thanks")
    await page.clock.fast_forward(5_000)
    await expect(page.locator("#idle")).to_be_visible()

    await sockets[-1].close()
    await expect(status).to_have_text("已连接")
    assert len(sockets) == 2
    second = unique("PAD")
    await served.case(citizen, second, **window.case(completedAt=at(1)))
    await expect(page.locator("#case-no")).to_have_text(second)
    await tablet.shot("pad-5-after-reconnect")
    await page.clock.fast_forward("01:31")  # nobody rated it: back to idle after 90 s
    await expect(page.locator("#idle")).to_be_visible()

    assert await stored_ratings(served, first) == [
        {"level": 5, "channel": "PAD", "tags": [], "comment": None}
    ]
    assert await stored_ratings(served, second) == []


async def test_a_pad_with_a_stale_pairing_asks_to_be_paired_again(tablet: Screen) -> None:
    page = tablet.page
    await page.goto("/pad/W-01#pair=not-a-real-pairing")
    await expect(page.get_by_role("alert")).to_contain_text("配对已被撤销或已失效")
    await expect(page.get_by_label("配对码")).to_be_visible()
