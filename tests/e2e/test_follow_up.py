"""追评 in "my cases": under a policy that asks the rater to rate the fix (fenghua), once the
unit has called back and reported its fix, the citizen's case says so, the form takes the
new rating, and a good one closes the work item."""

from __future__ import annotations

from typing import Any

from tests.conftest import token
from tests.e2e.conftest import Screen, Served, at, expect, new_citizen, unique
from tests.profiles import policy_file, scenarios_text

PUBLISH = (
    "mutation($y: String!, $s: String) { publishRules(yaml: $y, scenarios: $s) { __typename } }"
)
HANDLER = token("dept_handler", department_code="D-SCJG", staff_code="S-30", sub="e2e-handler")
ITEM = "{ workItems(first: 100) { nodes { id caseNo status step closeReason } } }"


async def publish(served: Served, name: str) -> None:
    variables = {"y": policy_file(name).read_text("utf-8"), "s": scenarios_text(name)}
    body = await served.gql(PUBLISH, variables, token("policy_staff"))
    assert body["data"]["publishRules"]["__typename"] == "RulesPublished", body


async def item_of(served: Served, case_no: str) -> dict[str, Any]:
    body = await served.gql(ITEM, {}, HANDLER)
    [item] = [n for n in body["data"]["workItems"]["nodes"] if n["caseNo"] == case_no]
    return item


async def act(served: Served, mutation: str, **variables: Any) -> None:
    body = await served.gql(mutation, variables, HANDLER)
    result = next(iter(body["data"].values()))
    assert result["__typename"] == "WorkItemUpdated", body


async def test_the_citizen_rates_the_fix_from_my_cases(mobile: Screen, served: Served) -> None:
    await publish(served, "fenghua")
    try:
        citizen, case_no = new_citizen("追评测试人"), unique("FIX")
        await served.case(citizen, case_no, completedAt=at(30))
        rating = {"caseNo": case_no, "level": 1, "channel": "APP", "comment": "材料反复退回"}
        body = await served.gql(
            "mutation($i: RatingInput!) { submitRating(input: $i) { __typename } }",
            {"i": rating},
            citizen.token,
        )
        assert body["data"]["submitRating"]["__typename"] == "RatingAccepted", body
        item = await item_of(served, case_no)
        await act(
            served,
            "mutation($id: ID!) { recordCallback(id: $id, outcome: REACHED) { __typename } }",
            id=item["id"],
        )
        await act(
            served,
            "mutation($id: ID!) { submitRectification(id: $id, measures: "
            '"已公示材料清单，一次告知") { __typename } }',
            id=item["id"],
        )
        assert (await item_of(served, case_no))["step"] == "follow_up_rating"

        page = mobile.page
        await page.goto(f"/m/#token={citizen.token}")
        entry = page.locator("#cases").locator(f'[data-case-no="{case_no}"]')
        await expect(entry.locator(".badge")).to_have_text("请评价整改结果")
        await mobile.shot("follow-up-1-list")
        await entry.click()
        await expect(page.get_by_text("办理单位已对您反映的问题进行整改")).to_be_visible()
        await page.get_by_role("button", name="评价整改结果").click()
        await page.get_by_text("非常满意", exact=True).click()
        await mobile.shot("follow-up-2-form")
        await page.get_by_role("button", name="提交评价").click()
        await expect(page.get_by_text("评价成功")).to_be_visible()
        await mobile.shot("follow-up-3-rated")
        closed = await item_of(served, case_no)
        assert (closed["status"], closed["closeReason"]) == ("CLOSED", "FOLLOW_UP_GOOD")
    finally:
        await publish(served, "rules")
