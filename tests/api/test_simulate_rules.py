"""simulateRules: a draft policy's figures over a period's cases next to the active policy's.

Seven cases completed on Monday 16 November 2026 at 10:00, rated on the app while a lenient
policy was active (rules.yaml with a 10-working-day window and the default after 15 natural
days); then rules.yaml itself is published and the lenient text is the draft. As of
10 December:

    S1 非常满意 16 Nov 10:30        S2 满意 18 Nov 09:00 (after the reminder)
    S3 基本满意 16 Nov 11:00        S4 非常满意 25 Nov 09:00
    S5 不满意 16 Nov 11:30, called back 19 Nov 09:00
    S6 not rated                    S7 非常不满意 27 Nov 09:00, never called back

rules.yaml: window to Mon 23 Nov 23:59:59, default 满意 at 23 Nov 10:00, SMS reminder at
17 Nov 10:00, callback within 2 working days (S5: 18 Nov 23:59:59). The draft: window to
30 Nov 23:59:59, default at 1 Dec 10:00 (S7's callback due 1 Dec 23:59:59).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rules import Engine, parse
from tests.api.test_work_item_loop import PUBLISH, callback, items, policy_text, rate, use
from tests.conftest import Api, token
from tests.factories import case_input

POLICY_STAFF = token("policy_staff")
SIMULATE = """
query($y: String!, $f: Date!, $t: Date!) {
  simulateRules(yaml: $y, from: $f, to: $t) {
    __typename
    ... on Simulation {
      from to cases activeVersion draftVersion seconds
      figures { key title active draft activeText draftText changed }
    }
    ... on RulesRejected { code problems { line column message } }
  }
}
"""
NOVEMBER = {"f": "2026-11-01", "t": "2026-11-30"}
COMPLETED = "2026-11-16T10:00:00+08:00"
RULES = policy_text("rules")
LENIENT = RULES.replace("within: 5 working days\n", "within: 10 working days\n", 1).replace(
    "after: 7 natural days", "after: 15 natural days"
)
NEUTRAL = RULES.replace(
    "label: 基本满意\n    category: good", "label: 基本满意\n    category: neutral"
)
TOP_ONLY = """  - id: top-rate
    title: 非常满意率
    description: 非常满意占全部评价的比例
    code: top
    numerator: {count: ratings, levels: [5]}
    denominator: {count: ratings}
"""
WITH_TOP = NEUTRAL.replace("# 向社会公开", TOP_ONLY + "# 向社会公开")


async def november(api: Api) -> None:
    body = await api.gql(PUBLISH, {"y": LENIENT}, POLICY_STAFF)
    assert body["data"]["publishRules"]["__typename"] == "RulesPublished", body
    engine = Engine(parse(LENIENT))
    api.clock.now = datetime.fromisoformat("2026-11-16T10:05:00+08:00")
    await api.ingest(
        *(
            case_input(f"S{n}", acceptedAt="2026-11-16T09:30:00+08:00", completedAt=COMPLETED)
            for n in range(1, 8)
        )
    )
    for case_no, level, when in (
        ("S1", 5, "2026-11-16T10:30:00"),
        ("S3", 3, "2026-11-16T11:00:00"),
        ("S5", 2, "2026-11-16T11:30:00"),
        ("S2", 4, "2026-11-18T09:00:00"),
        ("S4", 5, "2026-11-25T09:00:00"),
        ("S7", 1, "2026-11-27T09:00:00"),
    ):
        api.clock.now = datetime.fromisoformat(when + "+08:00")
        await rate(api, engine, case_no, level)
    api.clock.now = datetime.fromisoformat("2026-11-19T09:00:00+08:00")
    [s5] = await items(api, token("area_admin", region_code="330283"), caseNo="S5")
    await callback(api, s5)
    await use(api, "rules")
    api.clock.now = datetime.fromisoformat("2026-12-10T00:00:00+08:00")


async def simulate(api: Api, draft: str, bearer: str = POLICY_STAFF, **period: str) -> Any:
    body = await api.gql(SIMULATE, {"y": draft, **NOVEMBER, **period}, bearer)
    assert "errors" not in body, body
    return body["data"]["simulateRules"]


def pairs(result: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {f["key"]: (f["activeText"], f["draftText"]) for f in result["figures"]}


async def test_a_longer_window_takes_the_late_ratings_and_leaves_fewer_defaults(
    api: Api,
) -> None:
    await november(api)
    result = await simulate(api, LENIENT)
    assert result["__typename"] == "Simulation"
    assert (result["from"], result["to"], result["cases"]) == ("2026-11-01", "2026-11-30", 7)
    assert result["activeVersion"] != result["draftVersion"]
    assert pairs(result) == {
        "cases": ("7", "7"),
        "ratings_refused": ("2", "0"),  # S4 and S7 came after 23 Nov
        "defaults_applied": ("3", "1"),  # S4 S6 S7 / S6
        "reminders_sent": ("4", "4"),  # S2 S4 S6 S7: nothing by 17 Nov 10:00
        "work_items_opened": ("1", "2"),  # S5 / S5 S7
        "work_items_overdue": ("1", "2"),  # S5 called back late; S7 never
        # 好评 (5, 4, 3 and the defaults 满意) of every rating
        "metric:satisfaction": ("6/7", "5/7"),
        "metric:participation": ("4/7", "6/7"),
        "metric:bad_rate": ("1/7", "2/7"),
        "metric:rectification": ("0/1", "0/2"),
    }
    by_key = {f["key"]: f for f in result["figures"]}
    assert by_key["metric:satisfaction"]["active"] == 6 / 7
    assert by_key["metric:satisfaction"]["title"] == "满意率"
    assert by_key["defaults_applied"]["changed"] and not by_key["cases"]["changed"]


async def test_basically_satisfied_as_neutral_lowers_the_satisfaction_rate(api: Api) -> None:
    await november(api)
    result = await simulate(api, WITH_TOP)
    changed = {
        f["key"]: (f["activeText"], f["draftText"]) for f in result["figures"] if f["changed"]
    }
    assert changed == {
        "metric:satisfaction": ("6/7", "5/7"),  # S3's 基本满意 is no longer good
        "metric:top": ("—", "1/7"),  # only the draft has it: S1 (S4 is refused, defaulted)
    }
    [top] = [f for f in result["figures"] if f["key"] == "metric:top"]
    assert (top["active"], top["title"]) == (None, "非常满意率")


async def test_the_active_policy_as_its_own_draft_changes_nothing(api: Api) -> None:
    await november(api)
    result = await simulate(api, RULES)
    assert result["activeVersion"] == result["draftVersion"]
    assert not [f["key"] for f in result["figures"] if f["changed"]]
    assert len(result["figures"]) == 6 + 4  # the six figures, the four metrics


async def test_bad_input_gets_a_code(api: Api) -> None:
    broken = await simulate(api, RULES.replace("within: 5 working days", "within: soon", 1))
    assert broken["code"] == "INVALID_RULES"
    assert broken["problems"] and broken["problems"][0]["line"] > 1
    assert "soon" in broken["problems"][0]["message"]
    backwards = await simulate(api, RULES, f="2026-11-30", t="2026-11-01")
    too_long = await simulate(api, RULES, f="2025-11-01", t="2026-11-30")
    assert (backwards["code"], too_long["code"]) == ("BAD_PERIOD", "BAD_PERIOD")
    year = await simulate(api, RULES, f="2025-12-01", t="2026-11-30")  # 365 days: fine
    assert year["__typename"] == "Simulation" and year["cases"] == 0
    body = await api.gql(
        SIMULATE, {"y": RULES, **NOVEMBER}, token("area_admin", region_code="330283")
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
