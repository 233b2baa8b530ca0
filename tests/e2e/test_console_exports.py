"""The console's 数据导出: an area admin downloads this month's ratings as a CSV file the
browser saves (the file is fetched with the staff token and saved from a blob, under the
console's CSP); a region outside theirs is refused in plain words. A bad rating made
through the API is in the file, its rater's name is not."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import datetime
from pathlib import Path

from tests.e2e.conftest import BUSINESS_TZ, Screen, Served, expect
from tests.e2e.staff import bad_rating, sign_in


async def test_an_area_admin_downloads_the_month_s_ratings(desk: Screen, served: Served) -> None:
    case_no = await bad_rating(served)
    page = desk.page
    await sign_in(desk, "钱志远", "console-exports-1-mock-login")
    await page.get_by_role("link", name="数据导出").click()
    await expect(page.get_by_role("heading", name="数据导出")).to_be_visible()
    await page.get_by_label("评价记录").check()
    await page.get_by_label("CSV 文件（.csv，UTF-8）").check()
    await desk.shot("console-exports-2-form")

    async with page.expect_download() as waiting:
        await page.get_by_role("button", name="导出并下载").click()
    download = await waiting.value
    today = datetime.now(BUSINESS_TZ).date().isoformat()
    assert download.suggested_filename == f"ratings-{today[:8]}01-{today}.csv"
    saved = Path(await download.path())
    text = (await asyncio.to_thread(saved.read_bytes)).decode("utf-8-sig")
    [row] = [r for r in csv.DictReader(io.StringIO(text)) if r["办件编号"] == case_no]
    assert (row["部门名称"], row["等级名称"]) == ("区市场监管局", "非常不满意")
    assert "差评测试人" not in text  # the rater's name
    status = page.locator("main [role=status]")
    await expect(status).to_have_text("文件已生成，请在浏览器的下载中查看")
    await desk.shot("console-exports-3-downloaded")

    await page.get_by_label(re.compile("区划编码")).fill("330302")  # 鹿城区, another city's
    await page.get_by_role("button", name="导出并下载").click()
    await expect(status).to_have_text("只能导出本人所辖区划的数据")
    await desk.shot("console-exports-4-refused")
