"""The window's QR code and the scan flow: poster -> /w/{window} -> sign in -> rate."""

from __future__ import annotations

import io
from typing import Any

import httpx
import zxingcpp
from PIL import Image

from tests.conftest import token
from tests.e2e.conftest import Screen, Served, at, expect, new_citizen, unique

# The demo's 陈建国 (S-02, 区市场监管局), rostered at W-02.
CHEN: dict[str, Any] = {"staffCode": "S-02", "staffName": "陈建国"}


def decode(png: bytes) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


async def test_the_poster_shows_the_windows_qr_code(mobile: Screen, served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.base) as client:
        png = await client.get("/qr/W-01.png")
        svg = await client.get("/qr/W-01.svg")
        unknown = await client.get("/qr/W-NONE.svg")
    assert decode(png.content) == [f"{served.base}/w/W-01"]
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert unknown.status_code == 404

    page = mobile.page
    await page.goto("/qr/W-01/poster")
    await expect(page.locator("#poster-window")).to_have_text("综合受理1号窗口")
    await expect(page.locator("#poster-department")).to_have_text("区市场监管局")
    qr = page.locator("#poster-qr")
    await expect(qr).to_have_js_property("complete", True)
    assert await qr.evaluate("img => img.naturalWidth") > 0
    assert decode(await qr.screenshot()) == [f"{served.base}/w/W-01"]
    await mobile.shot("poster")
    await page.emulate_media(media="print")
    await expect(page.locator("#print")).to_be_hidden()


async def test_scan_sign_in_and_rate_with_a_reason(mobile: Screen, served: Served) -> None:
    citizen = new_citizen("扫码测试人")
    here, elsewhere = unique("SCAN"), unique("SCAN-W2")
    await served.case(citizen, here)
    await served.case(citizen, elsewhere, windowCode="W-02", windowName="综合受理2号窗口", **CHEN)
    page = mobile.page

    await page.goto("/w/W-01")
    await expect(page.locator("#window-name")).to_have_text("综合受理1号窗口")
    await expect(page.locator("#window-department")).to_have_text("区市场监管局")
    # Only this window's staff: 陈建国 of the same department serves at W-02 (the demo's
    # roster, and today's case there), so he is not named here.
    await expect(page.locator("#window-staff")).to_have_text("李晓燕")
    await expect(page.get_by_role("button", name="实名登录")).to_be_visible()
    await mobile.every_size("scan-1-window")

    await page.get_by_role("button", name="实名登录").click()
    await expect(page.get_by_text("模拟登录，仅供开发测试")).to_be_visible()
    await page.get_by_label("姓名").fill(citizen.name)
    await page.get_by_label("身份证号").fill(citizen.id_number)
    await page.get_by_label("手机号").fill(citizen.phone)
    await mobile.shot("scan-2-mock-login")
    await page.get_by_role("button", name="登录", exact=True).click()

    cases = page.locator("#cases")
    await expect(cases.get_by_text(f"办件编号：{here}")).to_be_visible()
    await expect(cases.get_by_text(elsewhere)).to_have_count(0)
    # A case waits for a rating here: no waiting state.
    await expect(page.locator("#waiting")).to_have_count(0)
    assert "token=" not in page.url
    await mobile.every_size("scan-3-my-cases-here")

    await cases.get_by_role("button").first.click()
    await page.get_by_text("不满意", exact=True).click()
    submit = page.get_by_role("button", name="提交评价")
    await submit.click()
    await expect(page.get_by_role("alert")).to_have_text("差评请选择原因或填写文字说明")
    await mobile.shot("scan-4-reason-required")

    await page.get_by_text("服务态度生硬").click()
    await submit.click()
    await expect(page.get_by_text("感谢您的评价！")).to_be_visible()
    await mobile.every_size("scan-5-accepted")

    stored = await served.gql(
        "query($n: String!) { case(caseNo: $n) { ratingStatus ratings { level channel tags } } }",
        {"n": here},
        token("system"),
    )
    assert stored["data"]["case"] == {
        "ratingStatus": "RATED",
        "ratings": [{"level": 2, "channel": "QR", "tags": ["stiff-attitude"]}],
    }


async def test_the_page_waits_for_the_citizens_case_and_shows_it_when_done(
    mobile: Screen, served: Served
) -> None:
    citizen, other = new_citizen("等待办结人"), new_citizen("同窗口他人")
    mine, theirs = unique("WAIT"), unique("WAIT-OTHER")
    page = mobile.page
    await page.goto(f"/w/W-02#token={citizen.token}")
    await expect(page.locator("#window-staff")).to_have_text("陈建国")

    # Nothing to rate here yet: the page says it waits, and that it is listening.
    await expect(page.locator("#live")).to_have_text("正在等待窗口办结，办结后将自动显示")
    await expect(page.locator("#connection")).to_have_text("实时连接：已连接")
    await expect(page.locator("#cases")).to_have_count(0)
    await mobile.every_size("scan-6-waiting")
    await mobile.every_size("scan-6-waiting", large_text=True)

    # Another citizen's case completes at the same window first, then the citizen's own.
    w02 = {"windowCode": "W-02", "windowName": "综合受理2号窗口", **CHEN}
    await served.case(other, theirs, completedAt=at(0), **w02)
    await served.case(
        citizen, mine, completedAt=at(0), matterCode="M-SCJG-002", matterName="食品经营许可", **w02
    )
    cases = page.locator("#cases")
    await expect(cases.get_by_text(f"办件编号：{mine}")).to_be_visible()
    await expect(page.locator("#live")).to_have_text(
        "您的事项“食品经营许可”已办结，请在下方选择评价。"
    )
    await expect(cases.get_by_text("刚刚办结")).to_be_visible()
    await expect(page.locator("#waiting")).to_have_count(0)
    await expect(page.get_by_text(theirs)).to_have_count(0)
    assert await page.get_by_text("同窗口他人").count() == 0
    await mobile.every_size("scan-7-arrived")

    await cases.get_by_role("button", name="食品经营许可").click()
    await expect(page.get_by_role("heading", name="评价：食品经营许可")).to_be_visible()
    await expect(page.get_by_role("button", name="提交评价")).to_be_visible()
    await mobile.every_size("scan-8-form")
    await mobile.every_size("scan-8-form", large_text=True)
    await page.get_by_text("非常满意", exact=True).click()
    await page.get_by_role("button", name="提交评价").click()
    await expect(page.get_by_text("感谢您的评价！")).to_be_visible()
    await mobile.every_size("scan-9-thanks")

    stored = await served.gql(
        "query($n: String!) { case(caseNo: $n) { ratingStatus ratings { level channel } } }",
        {"n": mine},
        token("system"),
    )
    assert stored["data"]["case"] == {
        "ratingStatus": "RATED",
        "ratings": [{"level": 5, "channel": "QR"}],
    }
    untouched = await served.gql(
        "query($n: String!) { case(caseNo: $n) { ratingStatus } }", {"n": theirs}, token("system")
    )
    assert untouched["data"]["case"] == {"ratingStatus": "UNRATED"}

    # Back to the list: the rated case, and waiting again for the next one.
    await page.get_by_role("button", name="评价其他事项").click()
    await expect(page.locator("#cases").get_by_text("已评价")).to_be_visible()
    await expect(page.locator("#live")).to_have_text("正在等待窗口办结，办结后将自动显示")


async def test_without_the_live_connection_the_page_reads_the_cases_again(
    mobile: Screen, served: Served
) -> None:
    citizen = new_citizen("断线等待人")
    mine = unique("WAIT-OFFLINE")
    page = mobile.page
    await page.clock.install()

    async def refuse(ws: Any) -> None:
        await ws.close()

    await page.route_web_socket("**/graphql", refuse)
    await page.goto(f"/w/W-01#token={citizen.token}")
    await expect(page.locator("#live")).to_have_text("正在等待窗口办结，办结后将自动显示")
    await expect(page.locator("#connection")).to_contain_text("已中断")
    await mobile.every_size("scan-10-connection-down")

    await served.case(citizen, mine, completedAt=at(0))
    await expect(page.locator("#cases")).to_have_count(0)
    await page.clock.run_for(21_000)  # the page's own 20 s fallback read of myCases
    await expect(page.locator("#cases").get_by_text(f"办件编号：{mine}")).to_be_visible()
    await expect(page.locator("#live")).to_contain_text("已办结，请在下方选择评价")
