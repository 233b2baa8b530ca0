"""The console's 统计分析 (/console/stats) in Chromium, on an app of its own (the demo
district, its own sweep off, so the figures change only when the test runs `hcp sweep`):
nine ratings at three departments made through the API, then an area admin sees them as a
trend, a ranking and a funnel, each chart drawn (SVG) with its table of figures; a
department filter, the ranking's minimum sample, a reversed and an empty period change what
is shown; the figures download as a file; an item overdue after a later sweep is listed and
opens. A department's handler and window staff see only their own. Screenshots of every
state under var/screenshots/console-stats-*.png."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import subprocess
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, token
from tests.e2e.conftest import (
    BUSINESS_TZ,
    DESKTOP,
    HCP,
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
from tests.e2e.staff import CALLBACK, SUBMIT, sign_in
from tests.factories import case_input

# Three departments of the demo district no other figure touches: their matter, window and
# the staff member who serves there (server/demo/catalog.yaml), and the levels given there.
UNITS: dict[str, dict[str, str]] = {
    "D-GJJ": {
        "matterCode": "M-GJJ-001",
        "matterName": "住房公积金提取",
        "matterType": "PAYMENT",
        "departmentName": "区住房公积金管理中心",
        "windowCode": "W-15",
        "windowName": "公积金窗口",
        "staffCode": "S-15",
        "staffName": "孙静",
    },
    "D-SW": {
        "matterCode": "M-SW-001",
        "matterName": "发票领用",
        "matterType": "OTHER_POWER",
        "departmentName": "区税务局",
        "windowCode": "W-12",
        "windowName": "税务窗口",
        "staffCode": "S-12",
        "staffName": "刘洋",
    },
    "D-YB": {
        "matterCode": "M-YB-001",
        "matterName": "医保关系转移接续",
        "matterType": "PUBLIC_SERVICE",
        "departmentName": "区医保局",
        "windowCode": "W-06",
        "windowName": "医保窗口",
        "staffCode": "S-06",
        "staffName": "周敏",
    },
}
LEVELS = {"D-GJJ": (5, 5, 4, 1), "D-SW": (5, 1), "D-YB": (5, 5, 5)}
GJJ_HANDLER = token("dept_handler", department_code="D-GJJ", staff_code="S-40", sub="e2e-gjj")
ITEMS = "query { workItems(first: 100) { nodes { id caseNo } } }"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, served: Served) -> Iterator[Served]:
    """The demo with no sweep inside the server (HCP_SWEEP=worker, and no worker): the
    counters are recounted when the test says. After `served`, which skips the suite (or
    fails it in CI) without a browser."""
    var = tmp_path_factory.mktemp("stats")
    with serve(var, "--demo", HCP_SWEEP="worker") as started:
        yield started


@pytest.fixture
async def desk(browser: Any, app: Served) -> AsyncIterator[Screen]:
    async for screen in screen_at(browser, app, DESKTOP):
        yield screen


def sweep(app: Served, now: datetime | None = None) -> None:
    """`hcp sweep` on the app's database, as the worker would run it: defaults, deadlines
    and the recount of the statistics' counters."""
    env = server_env(app.log.parent, HCP_SWEEP="worker")
    when = ["--now", now.isoformat()] if now else []
    done = subprocess.run(
        [str(HCP), "sweep", *when], cwd=ROOT, env=env, capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")


async def seed(app: Served) -> dict[str, list[str]]:
    """Each department's cases, completed ten minutes ago, each rated by its own applicant;
    the 区住房公积金管理中心's bad rating is called back. The case numbers by department."""
    completed = at(10)
    made: dict[str, list[str]] = {}
    for department, levels in LEVELS.items():
        for level in levels:
            citizen = new_citizen("统计测试人")
            case_no = unique(f"ST-{department[2:]}")
            unit = {"departmentCode": department, "regionCode": "330283", **UNITS[department]}
            await app.ingest(
                case_input(
                    case_no,
                    citizen.applicant(),
                    acceptedAt=completed,
                    completedAt=completed,
                    **unit,
                )
            )
            rating: dict[str, Any] = {"caseNo": case_no, "level": level, "channel": "APP"}
            if level == 1:
                rating["tags"] = ["many-windows"]
            body = await app.gql(SUBMIT, {"input": rating}, citizen.token)
            assert body["data"]["submitRating"]["__typename"] == "RatingAccepted", body
            made.setdefault(department, []).append(case_no)
    items = (await app.gql(ITEMS, {}, GJJ_HANDLER))["data"]["workItems"]["nodes"]
    [item] = [i for i in items if i["caseNo"] in made["D-GJJ"]]
    body = await app.gql(CALLBACK, {"id": item["id"]}, GJJ_HANDLER)
    assert body["data"]["recordCallback"]["__typename"] == "WorkItemUpdated", body
    return made


def month_of_now() -> str:
    return datetime.fromisoformat(at(10)).astimezone(BUSINESS_TZ).strftime("%Y-%m")


async def shot(screen: Screen, name: str) -> None:
    """The suite's screenshot and its checks, and no stray value of a script either."""
    await screen.shot(name)
    shown = await screen.page.locator("main").inner_text()
    assert not {"true", "false"} & set(shown.split()), name


async def codes(screen: Screen, table: str) -> list[str | None]:
    rows = screen.page.locator(f"{table} tbody tr")
    return [await row.get_attribute("data-code") for row in await rows.all()]


async def test_an_area_admin_reads_the_figures_filters_them_and_downloads_them(
    desk: Screen, app: Served
) -> None:
    made = await seed(app)
    sweep(app)
    page = desk.page
    await sign_in(desk, "钱志远", "console-stats-1-mock-login")
    await page.get_by_role("link", name="统计分析").click()
    await page.wait_for_url("**/console/stats")
    await expect(page.get_by_role("heading", name="统计分析", exact=True)).to_be_visible()
    await expect(page.get_by_role("link", name="统计分析")).to_have_attribute(
        "aria-current", "page"
    )
    await expect(page.locator(".as-of")).to_contain_text("所有变动均已计入")
    month = month_of_now()

    # The trend: drawn as SVG, named for screen readers, every figure in the table.
    trend = page.locator("#stats-trend")
    await expect(trend.locator('[role="img"] svg')).to_have_count(1)
    cell = trend.locator(f'tr[data-period="{month}"] td[data-metric="satisfaction"]')
    await expect(cell).to_have_text("77.8%（7/9）")  # 5 5 4 1 · 5 1 · 5 5 5: seven good
    await expect(
        trend.locator(f'tr[data-period="{month}"] td[data-metric="bad_rate"]')
    ).to_have_text("22.2%（2/9）")
    label = await trend.locator('[role="img"]').get_attribute("aria-label")
    assert label is not None and f"最近一期 {month}" in label and "满意率 77.8%（7/9）" in label
    # The tooltip of the last period, as a pointer over it shows it: rich text in the SVG
    # (an HTML tooltip would break the CSP, which the screen reports).
    await trend.locator('[role="img"]').evaluate(
        "box => { const chart = echarts.getInstanceByDom(box);"
        " const last = chart.getOption().xAxis[0].data.length - 1;"
        " chart.dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: last }); }"
    )
    await expect(trend.locator("svg")).to_contain_text("满意率：77.8%（7/9）")
    await shot(desk, "console-stats-2-region")

    # The ranking, best first; a minimum sample of 3 leaves out 区税务局's two ratings.
    ranking = page.locator("#stats-ranking")
    await expect(ranking.locator('[role="img"] svg')).to_have_count(1)
    await expect(ranking.locator("tbody tr")).to_have_count(3)
    assert await codes(desk, "#stats-ranking") == ["D-YB", "D-GJJ", "D-SW"]
    await expect(ranking.locator('tr[data-code="D-GJJ"]')).to_contain_text("75.0%（3/4）")
    await ranking.get_by_label("最少样本数（指标分母不少于）").fill("3")
    await ranking.get_by_role("button", name="更新排名").click()
    await expect(ranking.locator("tbody tr")).to_have_count(2)
    assert await codes(desk, "#stats-ranking") == ["D-YB", "D-GJJ"]

    # The funnel: two bad ratings, one called back; both items still open.
    funnel = page.locator("#stats-funnel")
    await expect(funnel.locator('[role="img"] svg')).to_have_count(1)
    for stage, count in (("any", "2"), ("called_back", "1"), ("rectified", "0")):
        await expect(funnel.locator(f'tr[data-stage="{stage}"] td').first).to_have_text(count)
    await expect(funnel.locator('dd[data-other="open"]')).to_have_text("2 件")
    await expect(page.locator("#stats-overdue")).to_contain_text("没有超期的差评工单")
    await shot(desk, "console-stats-3-ranking-and-funnel")

    # One department: its own figures.
    await page.get_by_label("部门", exact=True).select_option(label="区住房公积金管理中心")
    await expect(page.get_by_label("窗口", exact=True).locator("option")).to_have_text(
        ["全部窗口", "公积金窗口"]
    )
    await page.get_by_role("button", name="查询").click()
    await expect(cell).to_have_text("75.0%（3/4）")
    await expect(funnel.locator('tr[data-stage="any"] td').first).to_have_text("1")
    assert await codes(desk, "#stats-ranking") == ["D-GJJ"]
    await shot(desk, "console-stats-4-department")

    # The file of the figures, by department.
    async with page.expect_download() as waiting:
        await page.get_by_role("button", name="下载 CSV 文件（.csv）").click()
    download = await waiting.value
    assert download.suggested_filename.startswith("statistics-")
    text = (await asyncio.to_thread(Path(await download.path()).read_bytes)).decode("utf-8-sig")
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r["统计期"] == month]
    by_department = {r["部门编码"]: (r["满意率（分子）"], r["满意率（分母）"]) for r in rows}
    assert {k: by_department[k] for k in LEVELS} == {
        "D-GJJ": ("3", "4"),
        "D-SW": ("1", "2"),
        "D-YB": ("3", "3"),
    }
    assert "统计测试人" not in text
    await expect(page.locator("#stats-download [role=status]")).to_have_text(
        "文件已生成，请在浏览器的下载中查看"
    )

    # A reversed period: the API's refusal, in words; a period with nothing in it.
    await page.get_by_label("开始日期").fill("2026-12-31")
    await page.get_by_label("结束日期").fill("2026-01-01")
    await page.get_by_role("button", name="查询").click()
    await expect(trend.locator(".notice.error")).to_contain_text("开始日期不能晚于结束日期")
    await expect(trend.locator(".notice.error")).to_contain_text("错误代码：BAD_PERIOD")
    await expect(trend.get_by_role("button", name="重试")).to_have_count(0)  # it would again
    await shot(desk, "console-stats-5-refused")
    await page.get_by_label("开始日期").fill("2020-01-01")
    await page.get_by_label("结束日期").fill("2020-12-31")
    await page.get_by_role("button", name="查询").click()
    await expect(trend).to_contain_text("统计期内没有办结的办件，暂无数据")
    await expect(funnel).to_contain_text("统计期内没有差评工单")
    await expect(ranking).to_contain_text("没有样本数达到 3 的部门")
    await shot(desk, "console-stats-6-empty")

    # Weeks later the 区税务局's bad rating was never called back: overdue, and it opens.
    sweep(app, datetime.now(UTC) + timedelta(days=20))
    await page.reload()
    late = made["D-SW"][1]  # rated 1
    overdue = page.locator("#stats-overdue")
    await expect(overdue.locator(f'tr[data-case-no="{late}"]')).to_contain_text("区税务局")
    await shot(desk, "console-stats-7-overdue")
    await overdue.get_by_role("link", name=late).click()
    await page.wait_for_url("**/console/#/items/*")
    await expect(page.get_by_role("heading", name=f"差评工单 {late}")).to_be_visible()


async def test_a_handler_and_window_staff_see_only_their_own(desk: Screen, app: Served) -> None:
    """A rating after the last sweep is not counted yet: the page says how far behind."""
    citizen = new_citizen("统计测试人")
    case_no = unique("ST-SCJG")
    completed = at(10)
    await app.ingest(
        case_input(case_no, citizen.applicant(), acceptedAt=completed, completedAt=completed)
    )
    rating = {"caseNo": case_no, "level": 5, "channel": "APP"}
    body = await app.gql(SUBMIT, {"input": rating}, citizen.token)
    assert body["data"]["submitRating"]["__typename"] == "RatingAccepted", body
    page = desk.page
    await sign_in(desk, "赵敏", "console-stats-8-handler-login")  # 区市场监管局: no bad ratings
    await page.get_by_role("link", name="统计分析").click()
    await page.wait_for_url("**/console/stats")
    await expect(page.get_by_label("部门", exact=True)).to_have_count(0)
    await expect(page.get_by_label("窗口", exact=True).locator("option")).to_have_text(
        ["全部窗口", "综合受理1号窗口", "综合受理2号窗口"]
    )
    # Their department's windows only (rated by default once the other test's later sweep
    # ran, else not at all), never the 区住房公积金管理中心's.
    await expect(page.locator("#stats-ranking .hint").first).to_contain_text("样本数不足 1")
    assert set(await codes(desk, "#stats-ranking")) <= {"W-01", "W-02"}
    await expect(page.locator("#stats-funnel")).to_contain_text("统计期内没有差评工单")
    await expect(page.locator("#stats-download")).to_be_visible()
    behind = re.compile(
        r"^数据截至 [-\d ]*\d\d:\d\d，约 \d+ (秒|分钟)前；此后的变动将在系统下次汇总时计入$"
    )
    await expect(page.locator(".as-of")).to_have_text(behind)
    await shot(desk, "console-stats-9-handler")

    await page.get_by_role("button", name="退出登录").click()
    await sign_in(desk, "李晓燕", "console-stats-10-window-login")
    nav = page.get_by_role("navigation", name="工作台栏目")
    await expect(nav.get_by_role("link")).to_have_text(["差评工单", "统计分析", "评价器配对"])
    await nav.get_by_role("link", name="统计分析").click()
    await expect(page.locator("#stats-trend")).to_be_visible()
    await expect(page.locator("#stats-ranking")).to_have_count(0)
    await expect(page.locator("#stats-download")).to_have_count(0)
    await expect(page.get_by_label("窗口", exact=True)).to_have_count(0)
    await shot(desk, "console-stats-11-window-staff")
