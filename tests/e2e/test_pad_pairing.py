"""评价器配对: hall staff open the console's pads page, generate a six-digit code for a
window and show it; the pad takes the code typed, or its QR code's address, and is paired
with a long-lived credential; revoking the pad on the console sends it back to the pairing
screen.

Each test pairs a window of its own (of the demo's department D-SCJG, like W-01): the suite
shares one app, and a pad offers every unrated case recently completed at its window, the
cases other tests left at W-01 included."""

from __future__ import annotations

import io
import re

import zxingcpp
from PIL import Image

from tests.e2e.conftest import Screen, Served, at, expect, new_citizen, unique
from tests.e2e.staff import sign_in


async def new_window(served: Served) -> str:
    """A window of D-SCJG only this test uses, brought into being by a case completed two
    days ago (long past any pad's reach)."""
    code = unique("W")
    extra = {"windowCode": code, "windowName": f"配对测试{code[-4:]}号窗口"}
    await served.case(new_citizen("配对测试人"), unique("OLD"), completedAt=at(2880), **extra)
    return code


async def open_pads_page(desk: Screen) -> None:
    page = desk.page
    await sign_in(desk, "李晓燕", "pads-0-sign-in")
    await page.get_by_role("link", name="评价器配对").click()
    await page.wait_for_url("**/console/pads")
    await expect(page.get_by_role("heading", name="评价器配对", exact=True)).to_be_visible()


async def new_code(desk: Screen, window: str) -> str:
    card = desk.page.locator(f'section[data-window="{window}"]')
    await card.get_by_role("button", name=re.compile("生成配对码")).click()
    big = card.locator(".big-code")
    await expect(big).to_have_text(re.compile(r"^\d{6}$"))
    await expect(card.locator(".pairing-code")).to_contain_text("剩余 ")
    await expect(card.locator(".qr svg")).to_be_visible()
    code: str = await big.inner_text()
    return code


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_staff_show_a_code_the_pad_types_and_the_pad_rates_at_its_window(
    desk: Screen, tablet: Screen, served: Served
) -> None:
    window = await new_window(served)
    await open_pads_page(desk)
    code = await new_code(desk, window)
    await desk.check("pads-1-code")
    await desk.shot("pads-1-code")

    pad = tablet.page
    await pad.goto(f"/pad/{window}")
    await expect(pad.get_by_role("heading", name="评价器配对")).to_be_visible()
    field = pad.get_by_label("配对码", exact=True)
    await expect(field).to_have_attribute("inputmode", "numeric")
    await tablet.every_size("pad-pairing-1-code")
    await field.fill(wrong(code))
    await pad.get_by_role("button", name="配对", exact=True).click()
    await expect(pad.get_by_role("alert")).to_have_text("配对码不正确或已使用，请核对后重新输入")
    await tablet.every_size("pad-pairing-2-wrong-code")
    await field.fill(code)
    await pad.get_by_role("button", name="配对", exact=True).click()
    await expect(pad.locator("#connection")).to_have_text("已连接")
    await expect(pad.locator("#idle")).to_be_visible()

    case_no = unique("PAIR")
    await served.case(new_citizen("配对测试人"), case_no, completedAt=at(1), windowCode=window)
    await expect(pad.locator("#case-no")).to_have_text(case_no)

    # The console sees the pad arrive: the code goes, the pad is listed as seen.
    card = desk.page.locator(f'section[data-window="{window}"]')
    await expect(card.locator(":scope > [role=status]")).to_contain_text("已配对")
    await expect(card.locator(".pairing-code")).to_have_count(0)
    first = card.locator("tbody tr").first
    await expect(card.locator("tbody tr")).to_have_count(1)
    await expect(first.locator("td").first).to_have_text(f"{window} 评价器 1")
    await expect(first).to_contain_text("S-01")
    await expect(first.get_by_role("button", name="撤销")).to_be_visible()
    await expect(first).not_to_contain_text("尚未使用")
    await desk.check("pads-2-paired")
    await desk.shot("pads-2-paired")


async def test_the_qr_code_pairs_without_typing_and_revoking_sends_the_pad_back(
    desk: Screen, tablet: Screen, served: Served
) -> None:
    window = await new_window(served)
    await open_pads_page(desk)
    code = await new_code(desk, window)
    card = desk.page.locator(f'section[data-window="{window}"]')
    png = await card.locator(".qr svg").screenshot()
    [address] = [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
    assert address == f"{served.base}/pad/{window}#code={code}"

    pad = tablet.page
    await pad.goto(address)
    await expect(pad.locator("#connection")).to_have_text("已连接")
    assert "code=" not in pad.url  # taken out of the address (and its history) at once

    await expect(card.locator(":scope > [role=status]")).to_contain_text("已配对")
    first = card.locator("tbody tr").first
    await expect(first).not_to_contain_text("尚未使用")  # the pad came online
    label = await first.locator("td").first.inner_text()
    await first.get_by_role("button", name="撤销").click()
    await expect(first).to_contain_text("确定撤销")
    await desk.check("pads-3-confirm-revoke")
    await desk.shot("pads-3-confirm-revoke")
    await first.get_by_role("button", name="确认撤销").click()
    await expect(card.locator(":scope > [role=status]")).to_have_text(
        f"已撤销“{label}”，该评价器需重新配对"
    )
    await expect(card.locator("tbody tr").first).to_contain_text("已撤销")

    await expect(pad.get_by_role("heading", name="评价器配对")).to_be_visible()
    await expect(pad.get_by_role("alert")).to_contain_text("配对已被撤销")
    await expect(pad.locator("#connection")).to_have_text("未配对")
    await tablet.every_size("pad-pairing-3-revoked")

    # The same code again (a second scan of the same QR) pairs nothing.
    await pad.goto("about:blank")
    await pad.goto(address)
    await expect(pad.get_by_role("alert")).to_have_text("配对码不正确或已使用，请核对后重新输入")
