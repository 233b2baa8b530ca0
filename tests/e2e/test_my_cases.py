"""The mini-program's "my cases": tabs and paging, statuses, a late rating (through a network
failure and a retry, never stored twice), a rating's history, no button where the rating
would be refused (and why not), the SMS link, a batch and a one-thing bundle, what follows a
bad rating, when a default fell due, large text."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rules import BUSINESS_TZ
from tests.conftest import ROOT, token
from tests.e2e.conftest import (
    HCP,
    MOBILE,
    Screen,
    Served,
    at,
    expect,
    new_citizen,
    screen_at,
    serve,
    server_env,
    unique,
)
from tests.factories import case_input

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
    # 待评价 first: only the case that can still be rated; 全部 has both.
    await expect(page.get_by_role("tab", name="待评价 1")).to_have_attribute(
        "aria-selected", "true"
    )
    await expect(recent_item.locator(".badge")).to_contain_text("待评价")
    await expect(old_item).to_have_count(0)
    await page.get_by_role("tab", name="全部 2").click()
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
    # An expired case offers no button that would only be refused: it says why.
    await expect(page.locator("#why-not")).to_contain_text("评价期限已过（截止")
    await expect(page.get_by_role("button", name="去评价")).to_have_count(0)
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


FORM_LEVELS = "form.rating-form fieldset.levels"


async def test_the_sms_link_opens_its_case_through_the_sign_in(
    mobile: Screen, served: Served
) -> None:
    """/m/?case=NO (the reminder's link): signed out, 实名登录 goes to the platform and comes
    back to that case, not the list."""
    citizen = new_citizen("短信链接人")
    case_no = unique("SMS")
    await served.case(citizen, case_no, completedAt=at(30))
    page = mobile.page
    await page.goto(f"/m/?case={case_no}")
    await expect(page.get_by_text(f"登录后即可查看并评价办件 {case_no}")).to_be_visible()
    await page.get_by_role("button", name="实名登录").click()
    await page.get_by_label("姓名").fill(citizen.name)
    await page.get_by_label("身份证号").fill(citizen.id_number)
    await page.get_by_label("手机号").fill(citizen.phone)
    await page.get_by_role("button", name="登录").click()
    await expect(page.get_by_role("heading", name="办件详情")).to_be_visible()
    await expect(page.locator("dl.facts")).to_contain_text(case_no)
    assert f"case={case_no}" in page.url and "token=" not in page.url
    await expect(page.get_by_role("button", name="去评价")).to_be_visible()
    await mobile.every_size("cases-detail")


async def test_a_batch_rating_says_it_rates_the_whole_batch(mobile: Screen, served: Served) -> None:
    citizen = new_citizen("批量评价人")
    batch = unique("BATCH")
    numbers = [f"{batch}-{i}" for i in range(1, 4)]
    for number in numbers:
        await served.case(citizen, number, completedAt=at(20), batchNo=batch)
    page = mobile.page
    await page.goto(f"/m/?case={numbers[1]}#token={citizen.token}")
    await page.get_by_role("button", name="去评价").click()
    await expect(page.locator("form.rating-form .reach")).to_have_text("将同时评价本批次3件办件")
    await page.get_by_text("满意", exact=True).click()
    await mobile.every_size("cases-form")
    await mobile.every_size("cases-form", large_text=True)
    await page.get_by_role("button", name="提交评价").click()
    thanks = page.locator(".thanks")
    await expect(thanks).to_contain_text("已同时评价本批次3件办件")
    await mobile.every_size("cases-thanks")
    for number in numbers:
        stored = await _case(served, number)
        assert stored["ratingStatus"] == "RATED"
        assert stored["effectiveRating"]["level"] == 4


async def test_a_one_thing_bundle_can_be_rated_as_a_whole(mobile: Screen, served: Served) -> None:
    citizen = new_citizen("一件事评价人")
    bundle = unique("YJS")
    members = [f"{bundle}-{i}" for i in range(1, 3)]
    for number in members:
        await served.case(
            citizen,
            number,
            completedAt=at(20),
            integratedServiceNo=bundle,
            integratedServiceName="开办餐饮店一件事",
        )
    page = mobile.page
    await page.goto(f"/m/?case={members[0]}#token={citizen.token}")
    await page.get_by_role("button", name="去评价").click()
    await expect(page.get_by_text("只评价本事项")).to_be_visible()
    await page.get_by_text("一件事整体评价", exact=True).click()
    await expect(page.locator("form.rating-form .reach")).to_have_text(
        "一件事整体评价：结果适用于本件事的2项事项"
    )
    await page.get_by_text("非常满意", exact=True).click()
    await mobile.every_size("cases-form-one-thing")
    await page.get_by_role("button", name="提交评价").click()
    await expect(page.locator(".thanks")).to_contain_text("已作为一件事整体评价，适用于2项事项")
    for number in members:
        stored = await _case(served, number)
        assert stored["effectiveRating"] == {"level": 5, "target": "integrated_service"}


async def test_after_a_bad_rating_the_citizen_learns_what_follows(
    mobile: Screen, served: Served
) -> None:
    citizen = new_citizen("差评后续人")
    case_no = unique("BAD")
    await served.case(citizen, case_no, completedAt=at(20))
    page = mobile.page
    await page.goto(f"/m/?case={case_no}#token={citizen.token}")
    await page.get_by_role("button", name="去评价").click()
    levels = page.locator(FORM_LEVELS)
    # Keyboard: the levels are native radios; arrows move between them.
    await levels.locator("input").first.focus()
    await page.keyboard.press("ArrowDown")
    await expect(levels.locator("input").nth(1)).to_be_checked()
    await page.get_by_text("非常不满意", exact=True).click()
    chosen = levels.locator("label.choice.bad input:checked")
    await expect(chosen).to_have_count(1)
    await page.get_by_text("服务态度差、效率低").click()
    await mobile.every_size("cases-form-bad")
    await page.get_by_role("button", name="提交评价").click()
    await expect(page.locator(".thanks")).to_contain_text("您的差评将转交办件部门，2个工作日内回访")
    await mobile.every_size("cases-thanks-bad")
    assert (await _case(served, case_no))["effectiveRating"]["level"] == 1


async def test_tabs_count_and_load_more_until_the_end(mobile: Screen, served: Served) -> None:
    """More cases than one page (20): 加载更多 until all are shown; the tabs count them."""
    citizen = new_citizen("很多办件人")
    prefix = unique("MANY")
    await served.ingest(
        *(
            case_input(
                f"{prefix}-{i:02d}",
                citizen.applicant(),
                acceptedAt=at(60 + i),
                completedAt=at(30),
            )
            for i in range(45)
        )
    )
    rated = f"{prefix}-00"
    body = await served.gql(
        "mutation($i: RatingInput!) { submitRating(input: $i) { __typename } }",
        {"i": {"caseNo": rated, "level": 5, "channel": "APP"}},
        citizen.token,
    )
    assert body["data"]["submitRating"]["__typename"] == "RatingAccepted"
    page = mobile.page
    await page.goto(f"/m/#token={citizen.token}")
    await expect(page.get_by_role("tablist")).to_be_visible()
    await expect(page.get_by_role("tab", name="待评价 44")).to_have_attribute(
        "aria-selected", "true"
    )
    await expect(page.get_by_role("tab", name="已评价 1")).to_be_visible()
    items = page.locator("#cases > li")
    await expect(items).to_have_count(20)
    await mobile.every_size("cases-list")
    await mobile.every_size("cases-list", large_text=True)
    more = page.get_by_role("button", name="加载更多")
    await more.click()
    await expect(items).to_have_count(40)
    await more.click()
    await expect(items).to_have_count(44)
    await expect(more).to_have_count(0)
    await expect(page.get_by_text("已显示全部办件。")).to_be_visible()
    shown = await items.locator("[data-case-no]").evaluate_all(
        "nodes => nodes.map(n => n.dataset.caseNo)"
    )
    assert shown == [f"{prefix}-{i:02d}" for i in range(1, 45)]

    # Keyboard: the arrow keys move along the tabs and show the tab reached.
    await page.get_by_role("tab", name="待评价 44").focus()
    await page.keyboard.press("ArrowRight")
    await expect(page.get_by_role("tab", name="已评价 1")).to_be_focused()
    await expect(items).to_have_count(1)
    await expect(page.locator(f'[data-case-no="{rated}"] .badge')).to_have_text("已评价：非常满意")
    await page.get_by_role("tab", name="全部 45").click()
    await expect(items).to_have_count(20)


async def _case(served: Served, case_no: str) -> dict[str, Any]:
    body = await served.gql(
        "query($n: String!) { case(caseNo: $n) { ratingStatus effectiveRating { level target } } }",
        {"n": case_no},
        token("system"),
    )
    found: dict[str, Any] = body["data"]["case"]
    return found


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory, served: Served) -> Iterator[Served]:
    """The demo with its sweep left to `hcp sweep` (HCP_SWEEP=worker, and no worker), so
    the test says when defaults are written. After `served`, which skips without a browser."""
    with serve(tmp_path_factory.mktemp("swept"), "--demo", HCP_SWEEP="worker") as started:
        yield started


def _sweep(app: Served, now: datetime) -> None:
    """`hcp sweep` on the app's database at `now`, as the worker would run it."""
    env = server_env(app.log.parent, HCP_SWEEP="worker")
    done = subprocess.run(
        [str(HCP), "sweep", "--now", now.isoformat()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")


async def test_a_default_rating_says_when_it_fell_due(browser: Any, swept: Served) -> None:
    """The default's ratedAt is when the sweep ran; the page says when the policy made it
    due (7 natural days after completion in rules.yaml), and that it cannot be changed."""
    citizen = new_citizen("默认评价人")
    case_no = unique("DEF")
    completed = datetime.now(UTC).replace(microsecond=0) - timedelta(days=8)
    await swept.case(citizen, case_no, completedAt=completed.isoformat())
    later = datetime.now(UTC) + timedelta(days=3)  # the sweep runs days after it fell due
    _sweep(swept, later)
    due = (completed + timedelta(days=7)).astimezone(BUSINESS_TZ)
    shown = f"{due.year}年{due.month}月{due.day}日 {due:%H:%M}"
    async for mobile in screen_at(browser, swept, MOBILE):
        page = mobile.page
        await page.goto(f"/m/#token={citizen.token}")
        await page.get_by_role("tab", name="已评价 1").click()
        item = page.locator(f'[data-case-no="{case_no}"]')
        await expect(item.locator(".badge")).to_have_text("默认评价：满意")
        await expect(item).to_contain_text(f"默认评价生效：{shown}")
        await item.click()
        await expect(page.locator("dl.facts")).to_contain_text(f"{shown}起按规定自动记为“满意”")
        await expect(page.locator("#why-not")).to_have_text("默认评价不可更改")
        await expect(page.get_by_role("button", name="再次评价")).to_have_count(0)
        await mobile.every_size("cases-detail-default")
