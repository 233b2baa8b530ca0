"""The citizen and window screens no other browser test walks through (the platform's mock
sign-in, the window's QR poster), seen at 320 px, 375 px and a portrait tablet: each saved,
no sideways scrolling, axe-core clean. The screens of my cases, the scan page and the pad
are seen the same way by their own tests."""

from __future__ import annotations

from tests.e2e.conftest import Screen, Served, expect


async def test_the_mock_sign_in_page_holds_at_every_size(mobile: Screen, served: Served) -> None:
    page = mobile.page
    await page.goto("/mock-platform/login?return=%2Fm%2F")
    await expect(page.locator("#citizens li").first).to_be_visible()
    await mobile.every_size("login")
    await page.get_by_role("button", name="登录").click()
    await expect(page.locator("#form-error")).not_to_be_empty()
    await mobile.every_size("login-error")


async def test_the_window_poster_holds_at_every_size(mobile: Screen, served: Served) -> None:
    page = mobile.page
    await page.goto("/qr/W-01/poster")
    await expect(page.locator("#poster-window")).to_have_text("综合受理1号窗口")
    await mobile.every_size("poster")
