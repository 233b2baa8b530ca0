"""The staff console at /console/ works the bad-rating loop (差评处理闭环) with the default
rules.yaml: callback (dept_handler) -> appeal (optional, evidence) -> appeal_review
(area_admin) -> rectification (evidence) -> rectification_review (area_admin) -> closed.

A citizen's 非常不满意 opens the item through the API; staff sign in through the mock staff
login and act on the pages; what the other role does between is done through the API."""

from __future__ import annotations

from tests.e2e.conftest import Screen, Served, expect
from tests.e2e.staff import (
    CALLBACK,
    RECTIFY,
    act,
    bad_rating,
    bad_ratings,
    item_of,
    png,
    sign_in,
    upload,
)

APPEAL = """mutation($id: ID!, $r: String!, $e: [ID!]) {
  fileAppeal(id: $id, reason: $r, evidence: $e) { __typename } }"""


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

    await page.get_by_label("办件编号").fill(numbers[5])
    await page.get_by_label("办件编号").press("Enter")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-case-no", numbers[5])
    await page.get_by_label("办件编号").fill("")
    await page.get_by_label("办件编号").press("Enter")
    await expect(rows).to_have_count(20)

    await page.locator(f'tr[data-case-no="{numbers[0]}"]').get_by_role("link").click()
    await expect(page.locator(".actions")).to_contain_text("当前环节由部门差评处理人员办理")
    await expect(page.locator(".actions form")).to_have_count(0)  # nor the phone
    await desk.shot("console-window-3-item-read-only")
