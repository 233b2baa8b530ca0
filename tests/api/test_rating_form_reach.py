"""What the form and "my cases" tell a citizen before they rate: whether they may (the same
answer submitRating gives, under several policies), where the rating lands (a batch, a
one-thing bundle), what follows a bad rating, when a default fell due; the tabs of 我的办件."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.conftest import ROOT, Api, citizen, token
from tests.factories import WANG, case_input, person
from tests.profiles import scenarios_text

FORM = """
query($n: String!) {
  ratingForm(caseNo: $n, channel: APP) {
    caseNo canRate cannotRate { code message }
    appliesTo { kind caseCount notice }
    integratedService { number name memberCount overallAllowed notice }
    afterBad
  }
}
"""
SUBMIT = """
mutation($input: RatingInput!) {
  submitRating(input: $input) {
    __typename
    ... on RatingAccepted { appliesTo }
    ... on RatingRejected { code }
  }
}
"""
MINE = """
query($tab: MyCasesTab, $first: Int, $after: String) {
  myCases(tab: $tab, first: $first, after: $after) {
    totalCount counts { toRate rated all }
    nodes { caseNo ratingStatus canRate cannotRateCode defaultDueAt }
    pageInfo { hasNextPage endCursor }
  }
}
"""
NOW = datetime.fromisoformat("2026-11-20T20:00:00+08:00")  # the suite's clock


def _at(**ago: float) -> str:
    return (NOW - timedelta(**ago)).isoformat()


async def _publish(api: Api, profile: str) -> None:
    if profile == "rules":
        return
    text = (ROOT / "rules" / "profiles" / f"{profile}.yaml").read_text("utf-8")
    body = await api.gql(
        "mutation($y: String!, $s: String) { publishRules(yaml: $y, scenarios: $s) "
        "{ __typename } }",
        {"y": text, "s": scenarios_text(profile)},
        token("policy_staff"),
    )
    assert body["data"]["publishRules"]["__typename"] == "RulesPublished", body


async def _rate(api: Api, who: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = await api.gql(SUBMIT, {"input": {"channel": "APP", **fields}}, citizen(who))
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]["submitRating"]
    return found


async def _form(api: Api, who: dict[str, Any], case_no: str) -> dict[str, Any]:
    body = await api.gql(FORM, {"n": case_no}, citizen(who))
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]["ratingForm"]
    return found


# Case states: (completed how long ago or None, rated once before the check?)
STATES = {
    "fresh": ({"hours": 1}, False),
    "rated": ({"hours": 2}, True),
    "default-due": ({"days": 8}, False),
    "long-ago": ({"days": 40}, False),
    "open": (None, False),
}


@pytest.mark.parametrize("profile", ["rules", "min_an", "haiyang", "inner_mongolia"])
async def test_can_rate_is_exactly_what_submit_rating_accepts(api: Api, profile: str) -> None:
    await _publish(api, profile)
    people = {name: person(300 + i) for i, name in enumerate(STATES)}
    await api.ingest(
        *(
            case_input(
                f"S-{name}",
                people[name],
                acceptedAt=_at(days=41),
                completedAt=_at(**ago) if ago is not None else None,
            )
            for name, (ago, _) in STATES.items()
        )
    )
    for name, (_, rated) in STATES.items():
        if rated:
            assert (await _rate(api, people[name], caseNo=f"S-{name}", level=5))[
                "__typename"
            ] == "RatingAccepted"
    answers = {}
    for name in STATES:
        case_no, who = f"S-{name}", people[name]
        form = await _form(api, who, case_no)
        listed = await api.gql(MINE, {}, citizen(who))
        node = listed["data"]["myCases"]["nodes"][0]
        result = await _rate(api, who, caseNo=case_no, level=5)
        accepted = result["__typename"] == "RatingAccepted"
        assert form["canRate"] is accepted, (profile, name, form, result)
        assert node["canRate"] is accepted, (profile, name, node, result)
        if not accepted:
            assert form["cannotRate"]["code"] == result["code"] == node["cannotRateCode"]
            assert form["cannotRate"]["message"]
        else:
            assert form["cannotRate"] is None and node["cannotRateCode"] is None
        answers[name] = result.get("code", "OK")
    assert answers["fresh"] == "OK"
    assert answers["open"] == "CASE_NOT_COMPLETED"
    assert answers["long-ago"] in ("RATING_WINDOW_CLOSED", "ALREADY_RATED")


async def _status_of_case(api: Api, case_no: str) -> dict[str, Any]:
    body = await api.gql(
        "query($n: String!) { case(caseNo: $n) { ratingStatus effectiveRating { level } } }",
        {"n": case_no},
        token("system"),
    )
    found: dict[str, Any] = body["data"]["case"]
    return found


async def test_a_batch_case_says_the_rating_lands_on_the_whole_batch(api: Api) -> None:
    done = {"completedAt": _at(hours=1), "batchNo": "B-3"}
    await api.ingest(*(case_input(f"B-{i}", **done) for i in range(1, 4)))
    form = await _form(api, WANG, "B-2")
    assert form["appliesTo"] == {
        "kind": "BATCH",
        "caseCount": 3,
        "notice": "将同时评价本批次3件办件",
    }
    assert form["integratedService"] is None
    result = await _rate(api, WANG, caseNo="B-2", level=4)
    assert sorted(result["appliesTo"]) == ["B-1", "B-2", "B-3"]
    for i in range(1, 4):
        assert (await _status_of_case(api, f"B-{i}"))["ratingStatus"] == "RATED"


async def test_a_one_thing_case_offers_the_overall_rating(api: Api) -> None:
    bundle = {
        "completedAt": _at(hours=1),
        "integratedServiceNo": "YJS-1",
        "integratedServiceName": "开办餐饮店一件事",
    }
    await api.ingest(case_input("Y-1", **bundle), case_input("Y-2", **bundle))
    form = await _form(api, WANG, "Y-1")
    assert form["appliesTo"] == {"kind": "CASE", "caseCount": 1, "notice": None}
    assert form["integratedService"] == {
        "number": "YJS-1",
        "name": "开办餐饮店一件事",
        "memberCount": 2,
        "overallAllowed": True,
        "notice": "一件事整体评价：结果适用于本件事的2项事项",
    }
    result = await _rate(api, WANG, integratedServiceNo="YJS-1", level=5)
    assert sorted(result["appliesTo"]) == ["Y-1", "Y-2"]


async def test_after_a_bad_rating_comes_the_policys_first_step(api: Api) -> None:
    await api.ingest(case_input("A-1", completedAt=_at(hours=1)))
    assert (await _form(api, WANG, "A-1"))["afterBad"] == "您的差评将转交办件部门，2个工作日内回访"
    await _publish(api, "fenghua")
    assert (await _form(api, WANG, "A-1"))["afterBad"] == "您的差评将转交办件部门，1个工作日内回访"


async def test_tabs_count_and_page_the_cases(api: Api) -> None:
    fresh = [
        case_input(f"T-{i:02d}", acceptedAt=_at(hours=3, minutes=i), completedAt=_at(hours=1))
        for i in range(5)
    ]
    old = case_input("T-OLD", acceptedAt=_at(days=40), completedAt=_at(days=39))
    running = case_input("T-RUN", acceptedAt=_at(hours=1), completedAt=None)
    await api.ingest(*fresh, old, running)
    assert (await _rate(api, WANG, caseNo="T-00", level=5))["__typename"] == "RatingAccepted"

    seen: list[str] = []
    after = None
    while True:
        body = await api.gql(MINE, {"tab": "TO_RATE", "first": 2, "after": after}, citizen(WANG))
        page = body["data"]["myCases"]
        assert page["totalCount"] == 4
        assert page["counts"] == {"toRate": 4, "rated": 1, "all": 7}
        assert all(n["canRate"] for n in page["nodes"])
        seen += [n["caseNo"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["T-01", "T-02", "T-03", "T-04"]

    rated = (await api.gql(MINE, {"tab": "RATED"}, citizen(WANG)))["data"]["myCases"]
    assert [n["caseNo"] for n in rated["nodes"]] == ["T-00"]
    everything = (await api.gql(MINE, {"tab": "ALL"}, citizen(WANG)))["data"]["myCases"]
    assert everything["totalCount"] == 7
    by_no = {n["caseNo"]: n for n in everything["nodes"]}
    assert by_no["T-OLD"]["cannotRateCode"] in ("RATING_WINDOW_CLOSED", "ALREADY_RATED")
    assert by_no["T-RUN"]["cannotRateCode"] == "CASE_NOT_COMPLETED"


async def test_a_default_says_when_it_fell_due(api: Api) -> None:
    await api.ingest(
        case_input(
            "D-1", acceptedAt="2026-11-10T09:00:00+08:00", completedAt="2026-11-10T10:00:00+08:00"
        )
    )
    body = await api.gql(MINE, {}, citizen(WANG))
    node = body["data"]["myCases"]["nodes"][0]
    assert node["defaultDueAt"] == "2026-11-17T10:00:00+08:00"  # 7 natural days (rules.yaml)
    # Past the late-rating window too, which the policy checks first.
    assert node["canRate"] is False
    assert node["cannotRateCode"] in ("RATING_WINDOW_CLOSED", "ALREADY_RATED")


async def test_can_rate_is_answered_through_a_fragment_too(api: Api) -> None:
    await api.ingest(case_input("G-1", completedAt=_at(hours=1)))
    body = await api.gql(
        "fragment N on CaseConnection { nodes { caseNo canRate cannotRateCode } } "
        "query { myCases { ...N } }",
        {},
        citizen(WANG),
    )
    assert body["data"]["myCases"]["nodes"] == [
        {"caseNo": "G-1", "canRate": True, "cannotRateCode": None}
    ]
