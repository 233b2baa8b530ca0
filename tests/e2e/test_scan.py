"""The window's QR code and the scan flow: poster -> /w/{window} -> sign in -> rate."""

from __future__ import annotations

import io

import httpx
import zxingcpp
from PIL import Image

from tests.conftest import token
from tests.e2e.conftest import Screen, Served, expect, new_citizen, unique


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
    await served.case(citizen, elsewhere, windowCode="W-02", windowName="综合受理2号窗口")
    page = mobile.page

    await page.goto("/w/W-01")
    await expect(page.locator("#window-name")).to_have_text("综合受理1号窗口")
    await expect(page.locator("#window-department")).to_have_text("区市场监管局")
    await expect(page.locator("#window-staff")).not_to_be_empty()
    await mobile.shot("scan-1-window")

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
    assert "token=" not in page.url
    await mobile.shot("scan-3-my-cases-here")

    await cases.get_by_role("button").first.click()
    await page.get_by_text("不满意", exact=True).click()
    submit = page.get_by_role("button", name="提交评价")
    await submit.click()
    await expect(page.get_by_role("alert")).to_have_text("差评请选择原因或填写文字说明")
    await mobile.shot("scan-4-reason-required")

    await page.get_by_text("服务态度生硬").click()
    await submit.click()
    await expect(page.get_by_text("感谢您的评价！")).to_be_visible()
    await mobile.shot("scan-5-accepted")

    stored = await served.gql(
        "query($n: String!) { case(caseNo: $n) { ratingStatus ratings { level channel tags } } }",
        {"n": here},
        token("system"),
    )
    assert stored["data"]["case"] == {
        "ratingStatus": "RATED",
        "ratings": [{"level": 2, "channel": "QR", "tags": ["stiff-attitude"]}],
    }
