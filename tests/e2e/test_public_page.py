"""The public disclosure page (/public/, no login) in Chromium, on an app of its own: a
district department (区文化和旅游局) rated through the API last month (six ratings at one
window, two at another, under the policy's sample of 5) and this month (22, more than a
page of comments); the figures are counted by one `hcp sweep`. The page opens on last
month, switches to this month from the keyboard, and pages through the comments; every
screen is saved under var/screenshots/, with no script error, console error or CSP
refusal, and nobody's name, ID number or phone anywhere on it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from subprocess import PIPE
from typing import Any

import httpx
import pytest
import yaml

from server.demo import load_catalog
from tests.conftest import ROOT
from tests.e2e.conftest import (
    BUSINESS_TZ,
    DESKTOP,
    HCP,
    MOBILE,
    Citizen,
    Screen,
    Served,
    expect,
    new_citizen,
    screen_at,
    serve,
    server_env,
)
from tests.e2e.staff import SUBMIT
from tests.factories import case_input

DEPARTMENT = {"departmentCode": "D-WLJ", "departmentName": "区文化和旅游局"}
MAIN = {"windowCode": "W-WL1", "windowName": "文旅综合窗口", "staffCode": "S-WL1"}
SIDE = {"windowCode": "W-WL2", "windowName": "文旅咨询窗口", "staffCode": "S-WL2"}
LAST_MONTH_LEVELS = [(MAIN, 5), (MAIN, 5), (MAIN, 4), (MAIN, 5), (MAIN, 3), (MAIN, 4)]
LAST_MONTH_LEVELS += [(SIDE, 5), (SIDE, 4)]
THIS_MONTH = 22


@dataclass
class Months:
    last: str
    this: str


@dataclass
class PublicApp:
    app: Served
    env: dict[str, str]  # the served app's environment, for `hcp sweep` on its database


def _policy(var: Path) -> Path:
    """rules.yaml with no late-rating limit and no default rating, so that last month's
    cases can still be rated by their applicants today."""
    data = yaml.safe_load((ROOT / "rules.yaml").read_text(encoding="utf-8"))
    del data["rating"]["late_rating"], data["rating"]["default_rating"]
    path = var / "public-rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def public_app(tmp_path_factory: pytest.TempPathFactory, served: Served) -> Iterator[PublicApp]:
    """`hcp serve --demo` of its own (the shared app's other tests rate in this month too),
    sweeping only when told."""
    var = tmp_path_factory.mktemp("public")
    env = {"HCP_RULES": str(_policy(var)), "HCP_SWEEP": "worker"}
    with serve(var, "--demo", **env) as app:
        yield PublicApp(app, server_env(var, **env))


async def _rate(app: Served, who: Citizen, case_no: str, level: int, comment: str) -> None:
    rating = {"caseNo": case_no, "level": level, "channel": "APP", "comment": comment}
    body = await app.gql(SUBMIT, {"input": rating}, who.token)
    assert body["data"]["submitRating"]["__typename"] == "RatingAccepted", body


@pytest.fixture(scope="module")
async def months(public_app: PublicApp) -> AsyncIterator[tuple[Months, list[Citizen]]]:
    """Last month's and this month's ratings, then one sweep to count them."""
    now = datetime.now(BUSINESS_TZ)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    last = (start - timedelta(days=1)).replace(hour=10)
    this = max(now - timedelta(minutes=2), start)
    people = [new_citizen("公开页测试人") for _ in range(4)]  # 20 ratings an hour each
    plan: list[tuple[str, dict[str, str], datetime, int, str]] = [
        (f"PUB-L{n}", window, last, level, f"上月第{n + 1}条评价")
        for n, (window, level) in enumerate(LAST_MONTH_LEVELS)
    ]
    plan += [
        (f"PUB-T{n:02d}", MAIN, this, 5, f"本月第{n + 1:02d}条评价") for n in range(THIS_MONTH)
    ]
    owners = [people[n % len(people)] for n in range(len(plan))]
    await public_app.app.ingest(
        *(
            case_input(
                case_no,
                who.applicant(),
                acceptedAt=(at - timedelta(minutes=20)).isoformat(),
                completedAt=at.isoformat(),
                regionCode="330283",
                **DEPARTMENT,
                **window,
                staffName="文旅窗口人员",
            )
            for (case_no, window, at, _level, _text), who in zip(plan, owners, strict=True)
        )
    )
    for (case_no, _window, _at, level, text), who in zip(plan, owners, strict=True):
        await _rate(public_app.app, who, case_no, level, text)
    sweep = await asyncio.create_subprocess_exec(
        str(HCP), "sweep", cwd=ROOT, env=public_app.env, stdout=PIPE, stderr=PIPE
    )
    _out, err = await sweep.communicate()
    assert sweep.returncode == 0, err.decode(errors="replace")
    yield Months(f"{last:%Y-%m}", f"{this:%Y-%m}"), people


async def _everything(app: Served, month: str) -> str:
    async with httpx.AsyncClient(base_url=app.base, timeout=10) as client:
        texts = [(await client.get("/public/figures.json", params={"month": month})).text]
        texts.append((await client.get("/public/comments.json", params={"month": month})).text)
    return "\n".join(texts)


def _row(screen: Screen, table: str, name: str) -> Any:
    return screen.page.locator(f"#{table} tbody tr", has_text=name)


async def test_the_public_page_shows_a_month_switches_and_pages_comments(
    browser: Any, public_app: PublicApp, months: tuple[Months, list[Citizen]]
) -> None:
    chosen, people = months
    app = public_app.app
    errors: list[str] = []

    def console(message: Any) -> None:
        if message.type == "error":
            errors.append(message.text)

    async for screen in screen_at(browser, app, DESKTOP):
        page = screen.page
        page.on("console", console)
        await page.goto("/public/")
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "政务服务“好差评”评价结果公开"
        )
        await expect(page.get_by_label("选择月份")).to_have_value(chosen.last)  # last complete
        departments = page.get_by_role("table", name="各部门评价结果")
        await expect(departments).to_be_visible()
        wlj = _row(screen, "departments", "区文化和旅游局")
        await expect(wlj).to_contain_text("100.0%")  # 满意率: 8 good of 8
        await expect(wlj).to_contain_text("8 / 8")
        await expect(wlj).to_contain_text("0.0%")  # 差评率
        await expect(_row(screen, "windows", "文旅综合窗口")).to_contain_text("6 / 6")
        side = _row(screen, "windows", "文旅咨询窗口")
        await expect(side).to_contain_text("样本不足")  # 2 ratings, under 5
        await expect(side).not_to_contain_text("2 / 2")
        comments = page.locator("#comments > li")
        await expect(comments).to_have_count(len(LAST_MONTH_LEVELS))
        await expect(comments.first).to_contain_text("上月第8条评价")  # newest first
        await expect(page.get_by_role("button", name="加载更多评价")).to_be_hidden()
        await screen.shot("public-1-last-month")

        await page.keyboard.press("Tab")
        await expect(page.get_by_role("link", name="跳到主要内容")).to_be_focused()
        await page.keyboard.press("Tab")
        select = page.get_by_label("选择月份")
        await expect(select).to_be_focused()
        await select.select_option(chosen.this)
        await expect(page).to_have_url(f"{app.base}/public/?month={chosen.this}")
        await expect(wlj).to_contain_text(f"{THIS_MONTH} / {THIS_MONTH}")
        await expect(comments).to_have_count(20)
        await expect(comments.first).to_contain_text(f"本月第{THIS_MONTH}条评价")
        await screen.shot("public-2-this-month")

        more = page.get_by_role("button", name="加载更多评价")
        await more.focus()
        await page.keyboard.press("Enter")
        await expect(comments).to_have_count(THIS_MONTH)
        await expect(comments.nth(20)).to_be_focused()  # the first of the new page
        await expect(comments.last).to_contain_text("本月第01条评价")
        await expect(more).to_be_hidden()
        await expect(page.locator("#comments-status")).to_have_text(
            f"已显示 {THIS_MONTH} 条文字评价，已全部显示。"
        )
        await screen.shot("public-3-all-comments")

        for table in ("departments", "windows"):
            assert await page.locator(f"#{table} caption").count() == 1
            assert await page.locator(f"#{table} thead th[scope=col]").count() >= 4
        assert await page.locator("html").get_attribute("lang") == "zh-CN"
        assert await page.locator("h1").count() == 1
        shown = await page.locator("body").inner_text()
        everything = shown + await _everything(app, chosen.this)
        everything += await _everything(app, chosen.last)
        citizens = [
            c[key] for c in load_catalog()["citizens"] for key in ("name", "id_number", "phone")
        ]
        for who in people:
            citizens += [who.name, who.id_number, who.phone]
        for value in [*citizens, "文旅窗口人员", "PUB-T01", "S-WL1"]:
            assert value not in everything, value
        assert errors == []

    async for small in screen_at(browser, app, MOBILE):
        await small.page.goto(f"/public/?month={chosen.last}")
        await expect(_row(small, "departments", "区文化和旅游局")).to_contain_text("100.0%")
        await small.shot("public-4-mobile")
        await small.every_size("public-5")
