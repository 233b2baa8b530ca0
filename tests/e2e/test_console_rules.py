"""The console's 规则工作台 (/console/rules) in Chromium, on an app of its own (publishing
changes the policy it serves): policy staff find the active policy in the editor, a slip
is shown on its line and goes away when fixed; the scenarios pass; a change that breaks a
scenario is refused at publishing with the scenario named; a harmless change is published
and becomes the active version; a sample case shows the rules it fired; two versions are
compared; an earlier version is reinstated and the editor reloads it; a period is replayed
under a draft. Other staff get no entry and a refusal. Screenshots of every state under
var/screenshots/console-rules-*.png."""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from tests.conftest import ROOT
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
from tests.e2e.staff import sign_in

RULES = (ROOT / "rules.yaml").read_text("utf-8")
SCENARIOS = (ROOT / "rules_test.yaml").read_text("utf-8")
SCENARIO_SLIP = ("name: 差评不说明原因不能提交", "name: 差评不说明原因: 不能提交")  # a second colon
SLIP = ("within: 5 working days", "within: 5 workng days")  # a duration misspelt
LONG_SMS = (  # valid, but two SMS long: a warning
    "template: “{matter}”已办结，请评价：{link}{reply}",
    "template: “{matter}”已办结，请您在方便的时候点击下面的链接对本次服务进行评价，"
    "您的评价对我们改进工作非常重要，谢谢您的支持：{link}{reply}",
)
# The default rating 满意 (4) becomes 基本满意 (3): the scenarios say 4.
STRICTER = ("    level: 4\n    after: 7 natural days", "    level: 3\n    after: 7 natural days")
DEFAULT_SCENARIO = "7个自然日未评价默认满意，24小时后短信提醒"
# A new label and a clearer title: nothing any scenario checks.
# Reminders two months after completion instead of one day: last month's go unreminded.
LATER_REMINDER = ("after: 24 hours", "after: 60 natural days")
HARMLESS = (
    ("version: template-2026.1", "version: template-2026.2"),
    ("title: 含敏感词的文字评价先审核", "title: 含敏感词的文字评价先审核后公开"),
)
EDITOR = "规则（rules.yaml）"
WIDE = {"width": 768, "height": 1024}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, served: Served) -> Iterator[Served]:
    """The demo, its own: what is published here stays here. After `served`, which skips
    the suite (or fails it in CI) without a browser."""
    with serve(tmp_path_factory.mktemp("rules"), "--demo") as started:
        yield started


@pytest.fixture
async def desk(browser: Any, app: Served) -> AsyncIterator[Screen]:
    """The suite's desk, where any error the console logs fails the test, not only CSP's."""
    async for screen in screen_at(browser, app, DESKTOP):
        screen.page.on("console", functools.partial(_logged, screen))
        yield screen


def _logged(screen: Screen, message: Any) -> None:
    # The browser asks every site for /favicon.ico, which this app does not serve.
    asked = str(message.location.get("url", ""))
    if asked.endswith("/favicon.ico") or "Content Security Policy" in message.text:
        return
    if message.type == "error":
        screen.problems.append(f"console: {message.text} ({asked})")


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line of `text` holding `needle`."""
    return next(n for n, line in enumerate(text.split("\n"), 1) if needle in line)


def last_full_month() -> tuple[date, date]:
    """The month before this one, in Beijing: the what-if's period unless told."""
    first_of_this = datetime.now(BUSINESS_TZ).date().replace(day=1)
    last = first_of_this - timedelta(days=1)
    return last.replace(day=1), last


def edited(*replacements: tuple[str, str]) -> str:
    text = RULES
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


async def shot(screen: Screen, name: str) -> None:
    """The suite's screenshot and its checks, and no stray value of a script either."""
    await screen.shot(name)
    shown = await screen.page.locator("main").inner_text()
    assert not {"true", "false"} & set(shown.split()), name


async def selected_line(screen: Screen) -> str:
    selected: str = await screen.page.get_by_label(EDITOR).evaluate(
        "t => t.value.slice(t.selectionStart, t.selectionEnd)"
    )
    return selected


async def signed_in(screen: Screen) -> Any:
    """钱立 (policy staff) at the workbench, the active policy loaded and checked."""
    page = screen.page
    await sign_in(
        screen, "钱立", "console-rules-1-mock-login", lands="**/console/rules", heading="规则工作台"
    )
    await expect(page.get_by_label(EDITOR)).to_have_value(RULES)
    await expect(page.locator("#rules-editor .check-status")).to_have_text("无问题，可以发布")
    return page


async def test_policy_staff_check_publish_compare_and_roll_back_a_policy(
    desk: Screen, app: Served
) -> None:
    page = await signed_in(desk)
    nav = page.get_by_role("navigation", name="工作台栏目")
    await expect(nav.get_by_role("link")).to_have_text(["规则工作台"])
    await expect(nav.get_by_role("link", name="规则工作台")).to_have_attribute(
        "aria-current", "page"
    )
    editor = page.get_by_label(EDITOR)
    status = page.locator("#rules-editor .check-status")
    await expect(page.locator("#rules-editor .changes-box")).to_contain_text("没有改动")

    # A reminder too long for one SMS: a warning on its line, which does not stop publishing.
    await editor.fill(edited(LONG_SMS))
    long_line = line_of(RULES, LONG_SMS[0])
    warning = page.locator(f'#rules-editor ol.problems li[data-line="{long_line}"]')
    await expect(warning).to_contain_text(f"提醒第{long_line}行第")
    await expect(warning).to_have_class("warning")
    await expect(status).to_have_text("无问题，可以发布（另有 1 条提醒，建议看一下）")
    gutter = page.locator("#rules-editor .gutter")
    await expect(gutter.locator(f'[data-line="{long_line}"]')).to_have_class("warning")
    await shot(desk, "console-rules-2a-warning")

    # A slip: an error on its line, in the list and in the gutter; picking it (by keyboard)
    # selects the line.
    await editor.fill(edited(SLIP))
    line = line_of(RULES, SLIP[0])
    problem = page.locator(f'#rules-editor ol.problems li[data-line="{line}"]')
    await expect(problem).to_contain_text(f"错误第{line}行第")
    await expect(problem).to_have_class("error")
    await expect(status).to_have_text("1 个问题")
    await expect(gutter.locator(f'[data-line="{line}"]')).to_have_class("error")
    await expect(gutter.locator(".warning")).to_have_count(0)
    await problem.get_by_role("button").focus()
    await page.keyboard.press("Enter")
    await expect(editor).to_be_focused()
    assert (await selected_line(desk)).strip() == SLIP[1]
    # The line numbers scroll with the text: the line picked is beside its number.
    offsets = await page.evaluate(
        "() => { const t = document.getElementById('rules-yaml');"
        " const g = document.querySelector('#rules-editor .gutter');"
        " return [t.scrollTop, g.scrollTop]; }"
    )
    assert offsets[0] > 0 and offsets[0] == offsets[1], offsets
    await shot(desk, "console-rules-2-problem")

    await editor.fill(RULES)
    await expect(status).to_have_text("无问题，可以发布")
    await expect(page.locator("#rules-editor ol.problems")).to_have_count(0)
    await expect(gutter.locator(".error, .warning")).to_have_count(0)

    # The scenarios beside the policy all pass.
    scenarios = page.locator("#rules-scenarios")
    await scenarios.get_by_role("button", name="运行场景").click()
    await expect(scenarios.get_by_role("status")).to_have_text(
        re.compile(r"^全部通过：共 \d+ 个场景$")
    )
    await scenarios.locator("summary", has_text="查看和修改场景").click()
    scenario_text = scenarios.get_by_label("场景（YAML）")
    await expect(scenario_text).to_have_value(SCENARIOS)
    await shot(desk, "console-rules-3-scenarios")

    # A slip in the scenarios' text: nothing runs, and the problem leads to its line there.
    await scenario_text.fill(SCENARIOS.replace(*SCENARIO_SLIP, 1))
    await scenarios.get_by_role("button", name="运行场景").click()
    await expect(scenarios.get_by_role("status")).to_have_text("场景有错误，场景没有运行")
    slip_line = line_of(SCENARIOS, SCENARIO_SLIP[0])
    await scenarios.locator(f'ol.problems li[data-line="{slip_line}"] button').click()
    await expect(scenario_text).to_be_focused()
    selected = await scenario_text.evaluate("t => t.value.slice(t.selectionStart, t.selectionEnd)")
    assert selected.strip() == f"- {SCENARIO_SLIP[1]}", selected
    await scenario_text.fill(SCENARIOS)

    # A stricter default: the change is listed, and publishing is refused by the scenarios.
    await editor.fill(edited(STRICTER))
    await expect(status).to_have_text("无问题，可以发布")
    changes = page.locator("#rules-editor .changes-box")
    await expect(changes.locator('[data-rule="default-satisfied-after-7-days"]')).to_be_visible()
    publish = page.locator("#rules-publish")
    note = publish.get_by_label("发布说明（必填）")
    await publish.get_by_role("button", name="发布").click()  # no note: not sent
    await expect(note).to_be_focused()
    assert await note.evaluate("n => n.validity.valueMissing")
    await expect(publish.locator('[role="status"]')).to_be_empty()
    await note.fill("默认评价改为基本满意")
    await publish.get_by_role("button", name="发布").click()
    await expect(publish.get_by_role("status")).to_have_text("未能发布：场景未通过")
    await expect(publish.locator(f'[data-scenario="{DEFAULT_SCENARIO}"]')).to_be_visible()
    await shot(desk, "console-rules-4-publish-refused")

    # A harmless change, with a note: published, the new version active.
    await editor.fill(edited(*HARMLESS))
    await expect(status).to_have_text("无问题，可以发布")
    await expect(
        changes.locator('[data-rule="hold-comments-with-sensitive-words"]')
    ).to_contain_text("含敏感词的文字评价先审核后公开")
    await publish.get_by_label("发布说明（必填）").fill("敏感词审核的标题写明审核后公开")
    await publish.get_by_role("button", name="发布").click()
    await expect(publish.get_by_role("status")).to_have_text(
        re.compile(r"^已发布 template-2026\.2@\w+，现已施行$")
    )
    versions = page.locator("#rules-versions")
    new = versions.locator('tr[data-version^="template-2026.2@"]')
    await expect(new).to_contain_text("当前施行")
    await expect(new).to_contain_text("敏感词审核的标题写明审核后公开")
    await expect(new).to_contain_text("工作台发布")
    await expect(versions.locator("tr.active")).to_have_count(1)
    await expect(status).to_have_text("无问题，可以发布")
    await expect(changes).to_contain_text("没有改动")
    await shot(desk, "console-rules-5-published")

    # A sample case: a 非常不满意 rating with a comment, and the rules it fired.
    trial = page.locator("#rules-trial")
    await trial.get_by_label("判断什么").select_option("rating")
    await trial.get_by_role("button", name="试算").click()
    await expect(trial.locator('dd[data-key="accepted"]')).to_have_text("是")
    await expect(trial.locator('li[data-rule="level-very-dissatisfied"]')).to_have_text(
        "level-very-dissatisfied（非常不满意（差评））"
    )
    await shot(desk, "console-rules-6-trial")

    # The two versions compared: the title changed.
    old = versions.locator('tr[data-version^="template-2026.1@"]')
    await old.get_by_role("checkbox").check()
    await new.get_by_role("checkbox").check()
    await versions.get_by_role("button", name="比较所选的两个版本").click()
    await expect(versions.locator("ul.changes")).to_contain_text("含敏感词的文字评价先审核后公开")
    await shot(desk, "console-rules-7-diff")

    # Back to the first version: confirmed in a dialog, active again, the editor reloaded.
    await old.get_by_role("button", name=re.compile("^回滚到版本 template-2026.1@")).click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("回滚到版本 template-2026.1@")
    await shot(desk, "console-rules-8a-confirm-rollback")
    await dialog.get_by_role("button", name="确认回滚").click()
    await expect(dialog).to_have_count(0)
    await expect(versions.get_by_role("status").first).to_contain_text("已回滚")
    await expect(old).to_contain_text("当前施行")
    await expect(versions.locator("tr.active")).to_have_count(1)
    await expect(editor).to_have_value(RULES)
    await shot(desk, "console-rules-8-rollback")

    # Half the desk's width: everything still fits across.
    await page.set_viewport_size(WIDE)
    wide = await page.evaluate("document.documentElement.scrollWidth")
    assert wide <= WIDE["width"], wide
    await shot(desk, "console-rules-10-768px")


async def test_policy_staff_replay_a_period_under_a_draft(desk: Screen, app: Served) -> None:
    """A case of last month left unrated was reminded after 24 hours; a draft reminding
    after 60 days would not have reminded it yet."""
    first, last = last_full_month()
    completed = datetime.combine(first + timedelta(days=9), time(10), BUSINESS_TZ)
    await app.case(new_citizen("模拟测试人"), unique("WHATIF"), completedAt=completed.isoformat())
    page = await signed_in(desk)
    whatif = page.locator("#rules-whatif")
    await page.get_by_label(EDITOR).fill(edited(LATER_REMINDER))
    await expect(page.locator("#rules-editor .changes-box")).to_contain_text("60 natural days")
    await expect(whatif.get_by_label("开始日期")).to_have_value(first.isoformat())
    await expect(whatif.get_by_label("结束日期")).to_have_value(last.isoformat())
    await whatif.get_by_role("button", name="模拟").click()
    await expect(whatif.get_by_role("status")).to_have_text(
        re.compile(r"^模拟完成：\d+ 项指标有变化$")
    )
    reminded = whatif.locator('tr[data-figure="reminders_sent"]')
    await expect(reminded).to_have_class("changed")
    await expect(reminded).to_contain_text("有变化")
    await expect(whatif.locator('tr[data-figure="cases"]')).not_to_have_class("changed")
    await shot(desk, "console-rules-9-whatif")


async def test_other_staff_have_no_workbench(desk: Screen) -> None:
    page = desk.page
    await sign_in(desk, "钱志远", "console-rules-11-admin-login")
    nav = page.get_by_role("navigation", name="工作台栏目")
    await expect(nav.get_by_role("link", name="统计分析")).to_be_visible()
    await expect(nav.get_by_role("link", name="规则工作台")).to_have_count(0)
    await page.goto("/console/rules")
    await expect(page.get_by_role("heading", name="无权使用规则工作台")).to_be_focused()
    await expect(page.get_by_label(EDITOR)).to_have_count(0)
    await shot(desk, "console-rules-12-refused")
