"""The staff console at /console/ works the bad-rating loop (差评处理闭环) with the default
rules.yaml: callback (dept_handler) -> appeal (optional, evidence) -> appeal_review
(area_admin) -> rectification (evidence) -> rectification_review (area_admin) -> closed.

A citizen's 非常不满意 opens the item through the API; staff sign in through the mock staff
login and act on the pages; what the other role does between is done through the API."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.conftest import token
from tests.e2e.conftest import Screen, Served, at, expect, new_citizen, screen_at, unique
from tests.factories import case_input

DESKTOP = {"width": 1280, "height": 800}
HANDLER = token("dept_handler", department_code="D-SCJG", staff_code="S-31", sub="e2e-handler")
SUBMIT = """mutation($input: RatingInput!) {
  submitRating(input: $input) { __typename ... on RatingRejected { code message } } }"""
ITEMS = "query { workItems(first: 100) { nodes { id caseNo step } } }"
APPEAL = """mutation($id: ID!, $r: String!, $e: [ID!]) {
  fileAppeal(id: $id, reason: $r, evidence: $e) { __typename } }"""
CALLBACK = """mutation($id: ID!) {
  recordCallback(id: $id, outcome: REACHED, note: "已电话回访") { __typename } }"""
RECTIFY = """mutation($id: ID!, $m: String!, $e: [ID!]) {
  submitRectification(id: $id, measures: $m, evidence: $e) { __typename } }"""


@pytest.fixture
async def desk(browser: Any, served: Served) -> AsyncIterator[Screen]:
    """A desktop-sized page, as staff at their desks see the console."""
    async for screen in screen_at(browser, served, DESKTOP):
        yield screen


def png() -> bytes:
    """A real picture (the browser shows it), small enough to upload at once."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


async def bad_rating(served: Served) -> str:
    """A case at W-01 (区市场监管局, served by S-01) rated 非常不满意 by its applicant."""
    [case_no] = await bad_ratings(served, 1)
    return case_no


async def bad_ratings(served: Served, count: int) -> list[str]:
    """`count` such cases, each its own citizen's (one rater's burst would be limited)."""
    citizens = [new_citizen("差评测试人") for _ in range(count)]
    numbers = [unique(f"BAD{n}") for n in range(count)]
    completed = at(10)
    await served.ingest(
        *(
            case_input(n, c.applicant(), acceptedAt=completed, completedAt=completed)
            for n, c in zip(numbers, citizens, strict=True)
        )
    )
    for case_no, citizen in zip(numbers, citizens, strict=True):
        rating = {
            "caseNo": case_no,
            "level": 1,
            "channel": "APP",
            "tags": ["many-windows"],
            "comment": "让我在两个窗口之间来回跑了三趟",
        }
        body = await served.gql(SUBMIT, {"input": rating}, citizen.token)
        assert body["data"]["submitRating"]["__typename"] == "RatingAccepted", body
    return numbers


async def item_of(served: Served, case_no: str) -> dict[str, Any]:
    body = await served.gql(ITEMS, {}, HANDLER)
    [item] = [i for i in body["data"]["workItems"]["nodes"] if i["caseNo"] == case_no]
    return item


async def act(served: Served, query: str, **variables: Any) -> None:
    body = await served.gql(query, variables, HANDLER)
    assert next(iter(body["data"].values()))["__typename"] == "WorkItemUpdated", body


async def upload(served: Served) -> str:
    async with httpx.AsyncClient(base_url=served.base, timeout=10) as client:
        response = await client.post(
            "/evidence",
            content=png(),
            headers={"Authorization": f"Bearer {HANDLER}", "X-File-Name": "ledger.png"},
        )
    assert response.status_code == 201, response.text
    evidence_id: str = response.json()["id"]
    return evidence_id


async def sign_in(screen: Screen, name: str, shot: str) -> None:
    """Through the console's 登录 to the mock staff login, as the demo staff member `name`."""
    page = screen.page
    await page.goto("/console/")
    await page.get_by_role("link", name="登录").click()
    await expect(page.get_by_role("button", name=name)).to_be_visible()
    await screen.shot(shot)
    await page.get_by_role("button", name=name).click()
    await page.wait_for_url("**/console/")
    await expect(page.get_by_role("heading", name="差评工单")).to_be_visible()


async def test_a_handler_records_the_callback_and_submits_the_fix_with_a_photo(
    desk: Screen, served: Served
) -> None:
    case_no = await bad_rating(served)
    page = desk.page
    await sign_in(desk, "赵敏", "console-1-mock-login")
    await expect(page.locator("#who")).to_have_text("赵敏 · 部门差评处理人员")

    row = page.locator(f'tr[data-case-no="{case_no}"]')
    await expect(row).to_contain_text("部门回访评价人")
    await expect(row).to_contain_text("非常不满意")
    await expect(row).to_contain_text("多头跑窗口和部门")  # the tag's label, never its code
    await expect(row).not_to_contain_text("many-windows")
    await desk.shot("console-2-worklist")

    await row.get_by_role("link", name=case_no).click()
    await expect(page.get_by_role("heading", name=f"差评工单 {case_no}")).to_be_visible()
    await expect(page.locator(".comment")).to_have_text("让我在两个窗口之间来回跑了三趟")
    await expect(page.locator(".timeline li")).to_have_count(1)
    await expect(page.locator(".timeline")).to_contain_text("生成工单")

    await page.get_by_label("查看原因").fill("回访评价人，核实差评情况")
    await page.get_by_role("button", name="查看完整电话").click()
    await expect(page.locator("#form-reveal")).to_contain_text("评价人电话：139")
    await desk.shot("console-3-item-at-callback")

    await page.get_by_label("回访情况").fill("已电话联系评价人，对多跑窗口表示歉意")
    await page.get_by_role("button", name="提交回访结果").click()
    await expect(page.get_by_role("status").first).to_have_text("回访结果已记录")
    await expect(page.locator(".details")).to_contain_text("与事实不符的可申诉")
    await expect(page.locator(".timeline")).to_contain_text("记录回访：已联系上评价人")
    await expect(page.locator("#form-fileAppeal")).to_be_visible()
    await desk.shot("console-4-item-at-appeal")

    fix = page.locator("#form-submitRectification")
    await fix.get_by_label("整改措施").fill("统一材料清单，一窗受理，已培训窗口人员")
    await fix.get_by_role("button", name="提交整改").click()  # without the required photo
    await expect(fix.get_by_role("alert")).to_have_text("这一步须附上佐证材料（照片或 PDF）")
    await desk.shot("console-5-evidence-required")

    await fix.get_by_label("佐证材料").set_input_files(
        {"name": "整改台账.png", "mimeType": "image/png", "buffer": png()}
    )
    await fix.get_by_role("button", name="提交整改").click()
    await expect(page.get_by_role("status").first).to_have_text("整改已提交")
    await expect(page.locator(".details")).to_contain_text("地区管理员审核整改")
    await expect(page.locator(".actions")).to_contain_text("当前环节由地区管理员办理")
    photo = page.get_by_role("img", name="佐证材料 1")
    await expect(photo).to_be_visible()
    assert await photo.evaluate("img => img.naturalWidth") == 64
    assert (await photo.get_attribute("src") or "").startswith("blob:")
    await desk.shot("console-6-fix-submitted")
    assert (await item_of(served, case_no))["step"] == "rectification_review"


async def test_an_area_admin_decides_the_appeal_and_reviews_the_fix_until_closed(
    desk: Screen, served: Served
) -> None:
    case_no = await bad_rating(served)
    item = await item_of(served, case_no)
    await act(served, CALLBACK, id=item["id"])
    await act(
        served, APPEAL, id=item["id"], r="评价与事实不符，有录像为证", e=[await upload(served)]
    )
    page = desk.page
    await sign_in(desk, "钱志远", "console-admin-1-mock-login")

    await page.get_by_label("环节", exact=True).select_option("appeal_review")
    row = page.locator(f'tr[data-case-no="{case_no}"]')
    await expect(row).to_contain_text("地区管理员复核申诉")
    await desk.shot("console-admin-2-worklist-appeals")

    await row.get_by_role("link", name=case_no).click()
    await expect(page.locator(".timeline")).to_contain_text("提出申诉")
    await expect(page.get_by_role("img", name="佐证材料 1")).to_be_visible()
    await page.get_by_label("驳回申诉，差评成立").check()
    await page.get_by_label("复核意见").fill("录像不能证明评价与事实不符")
    await desk.shot("console-admin-3-appeal")
    await page.get_by_role("button", name="提交复核结果").click()
    await expect(page.get_by_role("status").first).to_have_text("复核结果已提交")
    await expect(page.locator(".timeline")).to_contain_text("复核申诉：申诉驳回")
    await expect(page.locator(".actions")).to_contain_text("当前环节由部门差评处理人员办理")

    await act(served, RECTIFY, id=item["id"], m="统一材料清单并培训", e=[await upload(served)])
    await page.reload()
    await expect(page.locator(".details")).to_contain_text("地区管理员审核整改")
    await page.get_by_label("不合格，退回重新整改").check()
    await page.get_by_role("button", name="提交审核结果").click()  # a return needs a reason
    await expect(page.locator("#form-reviewRectification").get_by_role("alert")).to_have_text(
        "请填写说明（2-1000 字）"
    )
    await page.get_by_label("整改合格", exact=True).check()
    await page.get_by_label("审核意见").fill("整改材料齐全，措施到位")
    await page.get_by_role("button", name="提交审核结果").click()
    await expect(page.locator(".details")).to_contain_text("已办结（处理完毕")
    await expect(page.locator(".actions")).to_contain_text("工单已办结，无需再办理")
    await desk.shot("console-admin-4-closed")

    await page.get_by_role("link", name="‹ 返回工单列表").click()
    await page.get_by_label("环节", exact=True).select_option("")
    await page.get_by_label("状态", exact=True).select_option("CLOSED")
    await expect(row).to_contain_text("已办结·处理完毕")
    await desk.shot("console-admin-5-worklist-closed")


async def test_window_staff_page_through_the_worklist_and_see_items_without_acting(
    desk: Screen, served: Served
) -> None:
    """More open items than a page: "加载更多" brings the next page by its cursor; window
    staff follow the items of their department but act on none of the loop's steps."""
    numbers = await bad_ratings(served, 21)
    page = desk.page
    await sign_in(desk, "李晓燕", "console-window-1-mock-login")
    rows = page.locator("tbody tr")
    await expect(rows).to_have_count(20)
    more = page.get_by_role("button", name="加载更多")
    while await more.is_visible():
        shown = await rows.count()
        await more.click()
        await expect(rows).not_to_have_count(shown)
    listed = await rows.evaluate_all("rows => rows.map(r => r.dataset.caseNo)")
    assert set(numbers) <= set(listed) and len(listed) == len(set(listed))
    await desk.shot("console-window-2-worklist-paged")

    await page.locator(f'tr[data-case-no="{numbers[0]}"]').get_by_role("link").click()
    await expect(page.locator(".actions")).to_contain_text("当前环节由部门差评处理人员办理")
    await expect(page.locator(".actions form")).to_have_count(0)  # nor the phone
    await desk.shot("console-window-3-item-read-only")
