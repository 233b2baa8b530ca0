"""The pad never loses a rating: cases completed together wait in a queue and are offered one
after the other; a completion while a citizen is filling in the form only joins the queue
(the count shows); a dropped connection leaves the form as it is and the rating is stored
once; a reload brings back the same case with the same choices."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Citizen, Screen, Served, at, expect, new_citizen, unique
from tests.e2e.test_pad import PadWindow, new_window, stored_ratings
from tests.factories import case_input

BAD_TAG = "服务态度差、效率低"  # a reason rules.yaml offers for 非常不满意 (poor-attitude)
COMMENT = "窗口人员态度生硬，让我来回跑了三趟"


async def open_pad(screen: Screen, served: Served, citizen: Citizen, query: str = "") -> PadWindow:
    """A pad paired (through the pairing link) to a window of its own, idle and connected."""
    window = await new_window(served, citizen)
    pad_token = await served.pair_pad(window.code)
    await screen.page.goto(f"/pad/{window.code}{query}#pair={pad_token}")
    await expect(screen.page.locator("#connection")).to_have_text("已连接")
    await expect(screen.page.locator("#idle")).to_be_visible()
    return window


async def fill_bad_rating(page: Any) -> None:
    """A citizen's 非常不满意 with a reason ticked and a comment typed."""
    await page.get_by_text("非常不满意", exact=True).click()
    await page.get_by_text(BAD_TAG, exact=True).click()
    await page.locator('textarea[name="comment"]').fill(COMMENT)


async def expect_bad_rating_intact(page: Any, case_no: str) -> None:
    await expect(page.locator("#case-no")).to_have_text(case_no)
    await expect(page.locator('input[type="radio"][value="1"]')).to_be_checked()
    await expect(page.locator('input[type="radio"]:checked')).to_have_count(1)
    await expect(page.locator('input[name="tag"][value="poor-attitude"]')).to_be_checked()
    await expect(page.locator('input[name="tag"]:checked')).to_have_count(1)
    await expect(page.locator('textarea[name="comment"]')).to_have_value(COMMENT)


BAD_STORED = {"level": 1, "channel": "PAD", "tags": ["poor-attitude"], "comment": COMMENT}


async def test_two_cases_completed_together_are_both_rated(tablet: Screen, served: Served) -> None:
    page = tablet.page
    citizen = new_citizen("排队评价人")
    # The thanks screen stays a minute here, so it can be looked at in every size.
    window = await open_pad(tablet, served, citizen, "?thanks=60")
    await tablet.every_size("pad-queue-1-idle")
    first, second = unique("PADQ"), unique("PADQ")
    # One call of the business system completes both.
    await served.ingest(
        case_input(first, citizen.applicant(), **window.case(acceptedAt=at(9), completedAt=at(2))),
        case_input(second, citizen.applicant(), **window.case(acceptedAt=at(9), completedAt=at(1))),
    )

    await expect(page.locator("#case-no")).to_have_text(first)
    count = page.locator("#queue-count")
    await expect(count).to_have_text("还有1件待评价")
    await expect(count).to_have_attribute("role", "status")
    await tablet.every_size("pad-queue-2-case-with-count")
    await tablet.every_size("pad-queue-2-case-with-count", large_text=True)
    await page.get_by_text("满意", exact=True).click()
    await page.get_by_role("button", name="提交评价").click()
    await expect(page.get_by_text("感谢您的评价！（满意）")).to_be_visible()
    await expect(count).to_have_text("还有1件待评价")
    await tablet.every_size("pad-queue-3-thanks")

    await page.get_by_role("button", name="评价下一件").click()
    await expect(page.locator("#case-no")).to_have_text(second)
    await expect(count).to_have_text("")
    await page.get_by_text("基本满意", exact=True).click()
    await page.get_by_role("button", name="提交评价").click()
    await expect(page.get_by_text("感谢您的评价！（基本满意）")).to_be_visible()
    await expect(page.get_by_role("button", name="评价下一件")).to_have_count(0)

    assert [r["level"] for r in await stored_ratings(served, first)] == [4]
    assert [r["channel"] for r in await stored_ratings(served, first)] == ["PAD"]
    assert [(r["level"], r["channel"]) for r in await stored_ratings(served, second)] == [
        (3, "PAD")
    ]


async def test_a_completion_during_a_rating_leaves_the_form_intact(
    tablet: Screen, served: Served
) -> None:
    page = tablet.page
    citizen = new_citizen("差评不丢人")
    window = await open_pad(tablet, served, citizen)
    first, second = unique("PADQ"), unique("PADQ")
    await served.case(citizen, first, **window.case(completedAt=at(2)))
    await expect(page.locator("#case-no")).to_have_text(first)
    await fill_bad_rating(page)

    await served.case(citizen, second, **window.case(completedAt=at(0.5)))
    await expect(page.locator("#queue-count")).to_have_text("还有1件待评价")
    await expect_bad_rating_intact(page, first)
    await tablet.every_size("pad-queue-4-form-kept")

    await page.get_by_role("button", name="提交评价").click()
    await expect(page.get_by_text("感谢您的评价！（非常不满意）")).to_be_visible()
    # What follows a bad rating, as rules.yaml's workflow and deadlines have it.
    await expect(page.locator("#thanks")).to_contain_text("您的差评将转交办件部门，2个工作日内回访")
    # The thanks screen moves on by itself (4 s) to the case that waited.
    await expect(page.locator("#case-no")).to_have_text(second)
    await expect(page.locator("#queue-count")).to_have_text("")
    await page.get_by_text("非常满意", exact=True).click()
    await page.get_by_role("button", name="提交评价").click()
    await expect(page.get_by_text("感谢您的评价！（非常满意）")).to_be_visible()
    await expect(page.locator("#idle")).to_be_visible()

    assert await stored_ratings(served, first) == [BAD_STORED]
    assert [(r["level"], r["channel"]) for r in await stored_ratings(served, second)] == [
        (5, "PAD")
    ]


async def test_a_dropped_connection_keeps_the_form_and_stores_the_rating_once(
    tablet: Screen, served: Served
) -> None:
    page = tablet.page
    sockets: list[Any] = []
    network = {"down": False}

    async def relay(ws: Any) -> None:
        """The pad's socket, passed through while the network is up, refused while down."""
        sockets.append(ws)
        if network["down"]:
            await ws.close()
        else:
            ws.connect_to_server()

    await page.route_web_socket("**/graphql", relay)
    citizen = new_citizen("断网评价人")
    window = await open_pad(tablet, served, citizen)
    case_no = unique("PADQ")
    await served.case(citizen, case_no, **window.case(completedAt=at(1)))
    await expect(page.locator("#case-no")).to_have_text(case_no)
    await fill_bad_rating(page)

    network["down"] = True
    await sockets[-1].close()
    status = page.locator("#connection")
    await expect(status).to_have_text("网络中断，正在重新连接…")
    await expect_bad_rating_intact(page, case_no)

    async def lost_answer(route: Any) -> None:
        """The rating reaches the server, but its answer is lost on the way back."""
        if "submitRating" in (route.request.post_data or ""):
            await route.fetch()
            await route.abort("internetdisconnected")
        else:
            await route.abort("internetdisconnected")

    await page.route("**/graphql", lost_answer)
    await page.get_by_role("button", name="提交评价").click()
    await expect(page.get_by_role("button", name="重试提交")).to_be_visible()
    await expect_bad_rating_intact(page, case_no)
    await tablet.shot("pad-queue-5-offline-retry")

    network["down"] = False
    await page.unroute("**/graphql")
    await expect(status).to_have_text("已连接", timeout=30_000)
    await expect_bad_rating_intact(page, case_no)
    await page.get_by_role("button", name="重试提交").click()
    await expect(page.get_by_text("感谢您的评价！（非常不满意）")).to_be_visible()

    assert await stored_ratings(served, case_no) == [BAD_STORED]


async def test_a_reload_during_a_rating_brings_back_the_draft(
    tablet: Screen, served: Served
) -> None:
    page = tablet.page
    citizen = new_citizen("刷新评价人")
    window = await open_pad(tablet, served, citizen)
    case_no = unique("PADQ")
    await served.case(citizen, case_no, **window.case(completedAt=at(1)))
    await expect(page.locator("#case-no")).to_have_text(case_no)
    await fill_bad_rating(page)

    await page.reload()
    await expect_bad_rating_intact(page, case_no)
    await expect(page.locator("#connection")).to_have_text("已连接")
    await expect_bad_rating_intact(page, case_no)
    await page.get_by_role("button", name="提交评价").click()
    await expect(page.get_by_text("感谢您的评价！（非常不满意）")).to_be_visible()

    assert await stored_ratings(served, case_no) == [BAD_STORED]


async def test_a_walked_away_case_gives_way_and_a_case_past_its_time_drops_out(
    tablet: Screen, served: Served
) -> None:
    page = tablet.page
    await page.clock.install()  # real time flows; the test jumps over the pad's timeouts
    citizen = new_citizen("走开的人")
    window = await open_pad(tablet, served, citizen)
    left, next_one, late = unique("PADQ"), unique("PADQ"), unique("PADQ")
    await served.ingest(
        case_input(left, citizen.applicant(), **window.case(acceptedAt=at(9), completedAt=at(2))),
        case_input(
            next_one, citizen.applicant(), **window.case(acceptedAt=at(9), completedAt=at(1))
        ),
    )
    count = page.locator("#queue-count")
    await expect(page.locator("#case-no")).to_have_text(left)
    await expect(count).to_have_text("还有1件待评价")

    # Nobody touches the form for 90 s: the citizen walked away, the next case is offered.
    await page.clock.fast_forward("01:31")
    await expect(page.locator("#case-no")).to_have_text(next_one)
    await expect(count).to_have_text("")
    await page.get_by_text("满意", exact=True).click()

    # A case the pad may rate for 2.5 minutes more (about one on the pad's clock, 91 s
    # ahead now) joins the queue, then its time runs out.
    def asks_queue(response: Any) -> bool:
        return "padQueue" in (response.request.post_data or "")

    async with page.expect_response(asks_queue):
        await served.case(citizen, late, **window.case(completedAt=at(27.5)))
    await expect(count).to_have_text("还有1件待评价")
    await page.clock.fast_forward("01:15")
    await expect(count).to_have_text("")
    await expect(page.locator("#case-no")).to_have_text(next_one)
    await expect(page.locator('input[type="radio"][value="4"]')).to_be_checked()
    await page.get_by_role("button", name="提交评价").click()
    await expect(page.get_by_text("感谢您的评价！（满意）")).to_be_visible()
    await page.clock.fast_forward(5_000)
    await expect(page.locator("#idle")).to_be_visible()

    assert await stored_ratings(served, left) == []
    assert [r["level"] for r in await stored_ratings(served, next_one)] == [4]
    assert await stored_ratings(served, late) == []
