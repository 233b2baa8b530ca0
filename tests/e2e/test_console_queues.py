"""The console's other queues with the default rules.yaml: the area admin's 待审核评价 (a
comment with one of the policy's listed words waits for review) and 人员差评统计 (each rated
staff member's confirmed bad ratings; rules.yaml flags nobody, fenghua's policy, served by
an app of its own, flags 2 in a year). Window staff have only the worklist and their own
figures (统计分析, tests/e2e/test_console_stats.py). Ratings and the loop's steps are made
through the API, as in test_console."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.conftest import token
from tests.e2e.conftest import (
    BUSINESS_TZ,
    DESKTOP,
    Screen,
    Served,
    expect,
    new_citizen,
    screen_at,
    serve,
    unique,
)
from tests.e2e.staff import (
    CALLBACK,
    HANDLER,
    RECTIFY,
    SUBMIT,
    act,
    bad_rating,
    item_of,
    sign_in,
    upload,
)
from tests.profiles import PROFILES_DIR

ADMIN = token("area_admin", region_code="330283", sub="e2e-admin")
HELD = "query { heldRatings(first: 100) { nodes { id caseNo } } }"
REVIEW = """mutation($id: ID!) { reviewHeldRating(id: $id, approve: false) { __typename } }"""
TALLY = "query { staffTally { rows { staff { code } confirmed } } }"
REFUSED = "没有找到这条待审核的评价，或已由他人审核"


@pytest.fixture(scope="module")
def fenghua(tmp_path_factory: pytest.TempPathFactory, served: Served) -> Iterator[Served]:
    """The demo on fenghua's policy, which flags staff with 2 confirmed bad ratings in a
    year: an app of its own, so the suite's app keeps rules.yaml. After `served`, which
    skips the suite (or fails it in CI) without a browser."""
    var = tmp_path_factory.mktemp("fenghua")
    rules = shutil.copyfile(PROFILES_DIR / "fenghua.yaml", var / "fenghua.yaml")
    with serve(var, "--demo", HCP_RULES=str(rules)) as app:
        yield app


@pytest.fixture
async def fenghua_desk(browser: Any, fenghua: Served) -> AsyncIterator[Screen]:
    async for screen in screen_at(browser, fenghua, DESKTOP):
        yield screen


async def confirm_bad_rating(served: Served, tags: tuple[str, ...] = ("many-windows",)) -> None:
    """A bad rating of S-01 the handler goes straight to fixing (no appeal): confirmed."""
    item = await item_of(served, await bad_rating(served, tags))
    await act(served, CALLBACK, id=item["id"])
    await act(served, RECTIFY, id=item["id"], m="统一材料清单并培训", e=[await upload(served)])


async def held_for_a_word(served: Served) -> str:
    """A case rated 满意 with 骗子 (a word rules.yaml's moderation lists) in its comment."""
    citizen = new_citizen("审核测试人")
    case_no = unique("HOLD")
    await served.case(citizen, case_no)
    rating = {"caseNo": case_no, "level": 4, "channel": "APP", "comment": "窗口的人是骗子吗"}
    body = await served.gql(SUBMIT, {"input": rating}, citizen.token)
    assert body["data"]["submitRating"]["__typename"] == "RatingAccepted", body
    return case_no


async def reject_through_the_api(served: Served, case_no: str) -> None:
    """Another admin's review, made while the page still lists the rating."""
    body = await served.gql(HELD, {}, ADMIN)
    [held_id] = [n["id"] for n in body["data"]["heldRatings"]["nodes"] if n["caseNo"] == case_no]
    body = await served.gql(REVIEW, {"id": held_id}, ADMIN)
    assert body["data"]["reviewHeldRating"]["__typename"] == "HeldRatingReviewed", body


async def confirmed(served: Served, staff_code: str) -> int:
    body = await served.gql(TALLY, {}, HANDLER)
    rows: list[dict[str, Any]] = body["data"]["staffTally"]["rows"]
    return next((r["confirmed"] for r in rows if r["staff"]["code"] == staff_code), 0)


async def test_an_area_admin_reviews_a_rating_held_for_a_listed_word(
    desk: Screen, served: Served
) -> None:
    mine, taken = await held_for_a_word(served), await held_for_a_word(served)
    page = desk.page
    await sign_in(desk, "钱志远", "console-held-1-mock-login")
    await page.get_by_role("link", name="待审核评价").click()
    await expect(page.get_by_role("heading", name="待审核评价")).to_be_visible()
    await expect(page.get_by_role("link", name="待审核评价")).to_have_attribute(
        "aria-current", "page"
    )
    row = page.locator(f'tr[data-case-no="{mine}"]')
    await expect(row).to_contain_text("区市场监管局")
    await expect(row).to_contain_text("满意")
    await expect(row).to_contain_text("含敏感词")
    await expect(row.locator("mark")).to_have_text("骗子")
    await expect(row.locator(".comment")).to_have_text("窗口的人是骗子吗")
    await expect(page.locator("tbody tr")).to_have_count(2)
    await desk.shot("console-held-2-queue")

    await reject_through_the_api(served, taken)
    other = page.locator(f'tr[data-case-no="{taken}"]')
    await other.get_by_role("button", name="通过", exact=True).click()
    await expect(other.get_by_role("alert")).to_have_text(REFUSED)
    await expect(other.get_by_role("button", name="通过", exact=True)).to_be_disabled()
    await desk.shot("console-held-3-refused")

    await row.get_by_role("button", name="通过", exact=True).click()
    await expect(row).to_have_count(0)
    await expect(page.get_by_role("status").first).to_have_text(f"办件 {mine} 的评价审核通过")
    await page.reload()  # the refused entry was no longer held either
    await expect(page.get_by_text("没有待审核的评价")).to_be_visible()
    await expect(page.locator("tbody tr")).to_have_count(0)
    await desk.shot("console-held-4-empty")


async def test_the_tally_counts_a_confirmed_bad_rating_of_the_rated_staff_member(
    desk: Screen, served: Served
) -> None:
    """It counts for S-01 (李晓燕), who served the case at W-01."""
    before = await confirmed(served, "S-01")
    await confirm_bad_rating(served)
    assert await confirmed(served, "S-01") == before + 1

    page = desk.page
    await sign_in(desk, "赵敏", "console-tally-1-mock-login")
    await expect(page.get_by_role("link", name="待审核评价")).to_have_count(0)  # admins only
    await page.get_by_role("link", name="人员差评统计").click()
    await expect(page.get_by_role("heading", name="人员差评统计")).to_be_visible()
    row = page.locator('tr[data-staff-code="S-01"]')
    await expect(row).to_contain_text("李晓燕")
    await expect(row).to_contain_text("区市场监管局")
    await expect(row.locator("td.number")).to_have_text(str(before + 1))
    await expect(row).not_to_contain_text("已标记")  # rules.yaml flags nobody
    year = datetime.now(BUSINESS_TZ).year
    await expect(page.locator(".period")).to_have_text(f"统计期：{year}-01-01 00:00 至今")
    await expect(page.locator(".rule")).to_have_text("现行评价办法未规定标记工作人员")
    await desk.shot("console-tally-2-handler")


async def test_window_staff_see_the_worklist_and_their_own_figures_only(
    desk: Screen, served: Served
) -> None:
    page = desk.page
    await sign_in(desk, "李晓燕", "console-window-queues-1-mock-login")
    nav = page.get_by_role("navigation", name="工作台栏目")
    await expect(nav.get_by_role("link")).to_have_text(["差评工单", "统计分析", "评价器配对"])
    await page.goto("/console/#/held")  # typed in: still the worklist, never the queue
    await expect(page.get_by_role("heading", name="差评工单")).to_be_visible()
    await expect(page.get_by_role("heading", name="待审核评价")).to_have_count(0)
    await desk.shot("console-window-queues-2-worklist-only")


async def test_fenghua_flags_a_staff_member_with_two_confirmed_bad_ratings_in_a_year(
    fenghua_desk: Screen, fenghua: Served
) -> None:
    for _ in range(2):
        await confirm_bad_rating(fenghua, tags=())  # fenghua's levels have no reasons
    page = fenghua_desk.page
    await sign_in(fenghua_desk, "钱志远", "console-flag-1-mock-login")
    await page.get_by_role("link", name="人员差评统计").click()
    row = page.locator('tr[data-staff-code="S-01"]')
    await expect(row.locator("td.number")).to_have_text("2")
    await expect(row.locator(".badge")).to_have_text("已标记")
    await expect(page.locator(".rule")).to_have_text(
        "统计期内经核实差评达到 2 次的工作人员会被标记"
    )
    a_year_ago = (datetime.now(BUSINESS_TZ) - timedelta(days=365)).date().isoformat()
    await expect(page.locator(".period")).to_contain_text(f"统计期：{a_year_ago}")
    await fenghua_desk.shot("console-flag-2-tally")
