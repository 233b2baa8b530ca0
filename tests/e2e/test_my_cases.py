"""The mini-program's "my cases": statuses, a late rating (through a network failure and a
retry, never stored twice), a rating's history, the window-closed message, large text."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.conftest import token
from tests.e2e.conftest import Screen, Served, at, expect, new_citizen, unique

PAYLOAD = '<img src=x onerror="window.__xss=1">办得很快'
NARROW = {"width": 188, "height": 334}  # a 375 px phone at 200 % zoom


async def test_my_cases_late_rating_history_and_window_closed(
    mobile: Screen, served: Served
) -> None:
    citizen = new_citizen("补评测试人")
    recent, old = unique("LATE"), unique("OLD")
    await served.case(citizen, old, completedAt=at(60 * 24 * 30))
    await served.case(
        citizen, recent, completedAt=at(120), matterCode="M-E2E-XSS", matterName=PAYLOAD
    )
    page = mobile.page

    await page.goto(f"/m/#token={citizen.token}")
    listing = page.locator("#cases")
    recent_item = listing.locator(f'[data-case-no="{recent}"]')
    old_item = listing.locator(f'[data-case-no="{old}"]')
    await expect(recent_item.locator(".badge")).to_contain_text("待评价")
    await expect(old_item.locator(".badge")).to_have_text("已超过评价期限")
    await expect(recent_item.locator("strong")).to_have_text(PAYLOAD)
    assert "token=" not in page.url
    await mobile.shot("my-cases-1-list")

    await _large_text_and_zoom(mobile)

    await recent_item.click()
    await page.get_by_role("button", name="去评价").click()
    await page.get_by_text("非常满意", exact=True).click()
    await page.get_by_label("文字说明").fill(PAYLOAD)
    await _submit_through_a_network_failure(mobile)
    await expect(page.get_by_text("评价成功，感谢您的评价！")).to_be_visible()
    history = page.locator("#history")
    await expect(history.locator(".comment")).to_have_text(PAYLOAD)
    await expect(history.locator("img")).to_have_count(0)
    assert await page.evaluate("window.__xss") is None
    await mobile.shot("my-cases-3-rated-with-history")

    await page.get_by_role("button", name="再次评价").click()
    await page.get_by_text("满意", exact=True).click()
    await page.get_by_role("button", name="提交评价").click()
    await expect(history.locator("li")).to_have_count(2)
    await expect(history.locator("li").first).to_contain_text("满意（当前有效）")
    await mobile.shot("my-cases-4-history")

    await page.get_by_role("button", name="‹ 返回我的办件").click()
    await expect(recent_item.locator(".badge")).to_have_text("已评价：满意")
    await old_item.click()
    await page.get_by_role("button", name="去评价").click()
    await page.get_by_text("满意", exact=True).click()
    await page.get_by_role("button", name="提交评价").click()
    await expect(page.get_by_role("alert")).to_have_text("已超过补充评价期限")
    await mobile.shot("my-cases-5-window-closed")

    stored = await served.gql(
        "query($n: String!) { case(caseNo: $n) { ratings { level channel effective } } }",
        {"n": recent},
        token("system"),
    )
    assert stored["data"]["case"]["ratings"] == [
        {"level": 5, "channel": "APP", "effective": False},
        {"level": 4, "channel": "APP", "effective": True},
    ]


async def _large_text_and_zoom(mobile: Screen) -> None:
    """适老化: the large-text switch scales the page; at 200 % zoom nothing runs off-screen
    and every button stays at least 44 px tall."""
    page = mobile.page
    toggle = page.get_by_role("button", name="大字模式")
    await toggle.click()
    await expect(page.locator("html")).to_have_class("large-text")
    assert await page.evaluate("getComputedStyle(document.documentElement).fontSize") == "22px"
    await expect(page.locator("#large-text")).to_have_attribute("aria-pressed", "true")
    await mobile.shot("my-cases-2-large-text")
    await page.get_by_role("button", name="标准字体").click()
    assert await page.evaluate("getComputedStyle(document.documentElement).fontSize") == "17px"

    await page.set_viewport_size(NARROW)
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    heights = await page.locator("button:visible").evaluate_all(
        "buttons => buttons.map(b => b.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 44
    await mobile.shot("my-cases-2-zoom-200")
    await page.set_viewport_size({"width": 375, "height": 667})


async def _submit_through_a_network_failure(mobile: Screen) -> None:
    """The first submit is lost to the network: a plain message and a retry; while the retry
    is out the button is disabled and a second submit sends nothing; the retry reuses the
    clientRequestId, so the server could never store the rating twice."""
    page = mobile.page
    sent: list[str] = []
    held, release = asyncio.Event(), asyncio.Event()

    async def network(route: Any) -> None:
        body = route.request.post_data_json
        if "submitRating" not in body["query"]:
            await route.continue_()
            return
        sent.append(body["variables"]["input"]["clientRequestId"])
        if len(sent) == 1:
            await route.abort("internetdisconnected")
            return
        held.set()
        await release.wait()
        await route.continue_()

    await page.route("**/graphql", network)
    await page.get_by_role("button", name="提交评价").click()
    await expect(page.get_by_role("alert")).to_have_text("网络不稳定，请重试")
    await page.get_by_role("button", name="重试提交").click()
    await held.wait()
    sending = page.locator("form.rating-form button[type=submit]")
    await expect(sending).to_be_disabled()
    await expect(sending).to_have_text("正在提交…")
    await page.locator("form.rating-form").evaluate("form => form.requestSubmit()")
    release.set()
    await expect(page.locator("#history")).to_be_visible()
    await page.unroute("**/graphql", network)
    assert len(sent) == 2 and sent[0] == sent[1]
