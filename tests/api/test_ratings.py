"""Rating through the API: the form, the policy's verdicts, history, scope, idempotency."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from models.db import connection, fetch
from tests.conftest import ROOT, Api, citizen, token
from tests.factories import CHEN, COMPANY, WANG, case_input
from tests.profiles import scenarios_text

SUBMIT = """
mutation($input: RatingInput!) {
  submitRating(input: $input) {
    __typename
    ... on RatingAccepted { rating { id level category tags comment channel ratedAt }
                            appliesTo status message decision { rulesVersion firedRules } }
    ... on RatingRejected { code message }
  }
}
"""
FORM = """
query($n: String!, $c: Channel!) {
  ratingForm(caseNo: $n, channel: $c) {
    caseNo deadline alreadyRated
    levels { level label category reasonRequired tags { code label } }
  }
}
"""
HISTORY = """
query($n: String!) { case(caseNo: $n) { ratingStatus ratingDeadline
  effectiveRating { level channel effective target }
  ratings { level effective target decision { rulesVersion firedRules } } } }
"""


async def rate(api: Api, bearer: str, **fields: Any) -> dict[str, Any]:
    data = {"channel": "APP", **fields}
    body = await api.gql(SUBMIT, {"input": data}, bearer)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["submitRating"]
    return result


async def history(api: Api, case_no: str) -> dict[str, Any]:
    body = await api.gql(HISTORY, {"n": case_no}, token("system"))
    found: dict[str, Any] = body["data"]["case"]
    return found


async def test_the_form_comes_from_the_policy(api: Api) -> None:
    await api.ingest(case_input("F-1"))
    body = await api.gql(FORM, {"n": "F-1", "c": "WEB"}, citizen(WANG))
    form = body["data"]["ratingForm"]
    assert [lv["level"] for lv in form["levels"]] == [5, 4, 3, 2, 1]
    dissatisfied = form["levels"][3]
    assert (dissatisfied["label"], dissatisfied["category"], dissatisfied["reasonRequired"]) == (
        "不满意",
        "bad",
        True,
    )
    web_tags = {t["code"] for t in dissatisfied["tags"]}
    pad = await api.gql(FORM, {"n": "F-1", "c": "PAD"}, citizen(WANG))
    pad_tags = {t["code"] for t in pad["data"]["ratingForm"]["levels"][3]["tags"]}
    assert "online-not-working" in web_tags - pad_tags
    # completed Wed 2026-11-18: five working days end Wed 2026-11-25
    assert form["deadline"] == "2026-11-25T23:59:59+08:00"
    assert form["alreadyRated"] is False
    other = await api.gql(FORM, {"n": "F-1", "c": "APP"}, citizen(CHEN))
    assert other["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_bad_rating_needs_a_reason_then_is_stored_with_its_decision(api: Api) -> None:
    await api.ingest(case_input("R-1"))
    refused = await rate(api, citizen(WANG), caseNo="R-1", level=2)
    assert refused == {
        "__typename": "RatingRejected",
        "code": "REASON_REQUIRED",
        "message": refused["message"],
    }
    assert refused["message"]
    accepted = await rate(
        api,
        citizen(WANG),
        caseNo="R-1",
        level=2,
        tags=["stiff-attitude"],
        comment="窗口人员态度生硬",
    )
    assert accepted["__typename"] == "RatingAccepted"
    assert accepted["rating"]["category"] == "bad"
    assert accepted["appliesTo"] == ["R-1"]
    assert accepted["decision"]["rulesVersion"].startswith("template-2026.1@")
    assert "level-dissatisfied" in accepted["decision"]["firedRules"]
    case = await history(api, "R-1")
    assert case["ratingStatus"] == "RATED"
    assert case["ratings"][0]["decision"]["firedRules"] == accepted["decision"]["firedRules"]


async def test_each_refusal_has_its_code(api: Api) -> None:
    await api.ingest(case_input("X-1"), case_input("X-2", completedAt=None))
    checks = [
        ({"caseNo": "X-1", "level": 6}, citizen(WANG), "INVALID_LEVEL"),
        ({"caseNo": "X-1", "level": 1, "tags": ["no-such-tag"]}, citizen(WANG), "INVALID_TAG"),
        ({"caseNo": "NOPE", "level": 5}, citizen(WANG), "NOT_FOUND"),
        # Someone else's case answers as a missing one: case numbers cannot be probed.
        ({"caseNo": "X-1", "level": 5}, citizen(CHEN), "NOT_FOUND"),
        ({"caseNo": "X-2", "level": 5}, citizen(WANG), "CASE_NOT_COMPLETED"),
        (
            {"caseNo": "X-1", "level": 5, "channel": "HOTLINE"},
            token("window_staff", staff_code="S-01", department_code="D-SCJG"),
            "NOT_RATER",
        ),
        ({"caseNo": "X-1", "level": 5, "channel": "PAD"}, citizen(WANG), "NOT_RATER"),
    ]
    for fields, bearer, code in checks:
        result = await rate(api, bearer, **fields)
        assert result.get("code") == code, (fields, result)
    assert (await history(api, "X-1"))["ratings"] == []


async def test_a_hotline_operator_may_enter_a_rating_for_another_staff_members_case(
    api: Api,
) -> None:
    await api.ingest(case_input("H-1"))
    operator = token("dept_handler", staff_code="S-99", department_code="D-SCJG")
    result = await rate(api, operator, caseNo="H-1", level=4, channel="HOTLINE")
    assert result["__typename"] == "RatingAccepted"


async def test_late_ratings_close_with_the_window_across_national_day(api: Api) -> None:
    # Haiyang: 5 working days, and no default rating that could come first.
    async with policy(api, "haiyang"):
        await api.ingest(
            case_input(
                "L-1",
                acceptedAt="2026-09-30T09:00:00+08:00",
                completedAt="2026-09-30T15:00:00+08:00",
            ),
        )
        api.clock.now = datetime.fromisoformat("2026-10-13T22:00:00+08:00")
        assert (await rate(api, citizen(WANG), caseNo="L-1", level=5))["__typename"] == (
            "RatingAccepted"
        )
        api.clock.now = datetime.fromisoformat("2026-10-14T08:30:00+08:00")
        late = await rate(api, citizen(WANG), caseNo="L-1", level=4)
        assert late["code"] == "RATING_WINDOW_CLOSED"


async def test_the_latest_rating_wins_and_history_is_kept(api: Api) -> None:
    await api.ingest(case_input("W-1"))
    await rate(api, citizen(WANG), caseNo="W-1", level=2, tags=["overdue"])
    api.clock.advance(minutes=5)
    await rate(api, citizen(WANG), caseNo="W-1", level=5)
    case = await history(api, "W-1")
    assert [r["level"] for r in case["ratings"]] == [2, 5]
    assert [r["effective"] for r in case["ratings"]] == [False, True]
    assert case["effectiveRating"]["level"] == 5
    mine = await api.gql(
        "{ myCases(status: RATED) { totalCount nodes { caseNo } } }", token=citizen(WANG)
    )
    assert mine["data"]["myCases"]["totalCount"] == 1


async def test_a_rating_of_one_case_of_a_batch_applies_to_the_whole_batch(api: Api) -> None:
    await api.ingest(
        *[case_input(f"B-{i}", batchNo="BATCH-1") for i in range(3)], case_input("B-other")
    )
    result = await rate(api, citizen(WANG), caseNo="B-1", level=4)
    assert sorted(result["appliesTo"]) == ["B-0", "B-1", "B-2"]
    for case_no in ("B-0", "B-2"):
        assert (await history(api, case_no))["effectiveRating"]["level"] == 4
    assert (await history(api, "B-other"))["ratingStatus"] == "UNRATED"
    by_batch = await rate(api, citizen(WANG), batchNo="BATCH-1", level=5)
    assert sorted(by_batch["appliesTo"]) == ["B-0", "B-1", "B-2"]


async def test_one_thing_overall_ratings_yield_to_a_members_own_rating(api: Api) -> None:
    members = [
        case_input(
            f"Y-{i}",
            COMPANY,
            integratedServiceNo="YJS-KBQY",
            integratedServiceName="开办企业一件事",
        )
        for i in range(3)
    ]
    await api.ingest(*members)
    bearer = citizen(COMPANY)
    member = await rate(api, bearer, caseNo="Y-1", level=2, tags=["overdue"])
    assert member["appliesTo"] == ["Y-1"]
    api.clock.advance(minutes=1)
    overall = await rate(api, bearer, integratedServiceNo="YJS-KBQY", level=5)
    assert sorted(overall["appliesTo"]) == ["Y-0", "Y-1", "Y-2"]
    assert (await history(api, "Y-1"))["effectiveRating"]["level"] == 2
    assert (await history(api, "Y-0"))["effectiveRating"]["target"] == "integrated_service"


async def test_retries_with_the_same_request_id_return_the_first_answer(api: Api) -> None:
    await api.ingest(case_input("I-1"))
    first = await rate(api, citizen(WANG), caseNo="I-1", level=5, clientRequestId="req-1")
    again = await rate(api, citizen(WANG), caseNo="I-1", level=1, clientRequestId="req-1")
    assert again == first
    assert len((await history(api, "I-1"))["ratings"]) == 1


async def test_fifty_simultaneous_ratings_leave_one_effective_and_fifty_in_history(
    api: Api,
) -> None:
    await api.ingest(case_input("C-1"))
    # One rater fifty times within the hour is what the anti-abuse limits refuse; this test
    # is about the database under concurrent writes, so it runs without those limits.
    async with policy(api, "no_abuse_limits"):
        results = await asyncio.gather(
            *[rate(api, citizen(WANG), caseNo="C-1", level=4 + i % 2) for i in range(50)]
        )
    assert all(r["__typename"] == "RatingAccepted" for r in results)
    rows = await fetch(
        connection(),
        "SELECT effective FROM rating r JOIN case_record c ON c.id = r.case_id WHERE c.case_no = ?",
        ["C-1"],
    )
    assert len(rows) == 50
    assert sum(bool(r["effective"]) for r in rows) == 1


async def test_a_thousand_submissions_with_retried_ids_store_no_duplicates(api: Api) -> None:
    await api.ingest(*[case_input(f"D-{i}") for i in range(50)])
    calls = [
        rate(api, citizen(WANG), caseNo=f"D-{i % 50}", level=5, clientRequestId=f"r-{i % 250}")
        for i in range(1000)
    ]
    async with policy(api, "no_abuse_limits"):  # 250 ratings by one rater: see above
        for start in range(0, 1000, 100):
            await asyncio.gather(*calls[start : start + 100])
    rows = await fetch(connection(), "SELECT COUNT(*) AS n FROM rating")
    assert int(rows[0]["n"]) == 250


async def test_a_default_rating_that_fell_due_counts_before_the_sweep_writes_it(api: Api) -> None:
    async with policy(api, "min_an"):  # 满意 after 7 natural days, not replaceable
        done = {
            "acceptedAt": "2026-11-10T09:00:00+08:00",
            "completedAt": "2026-11-10T10:00:00+08:00",
        }
        await api.ingest(case_input("M-1", **done), case_input("M-2", **done))
        api.clock.now = datetime.fromisoformat("2026-11-17T09:00:00+08:00")  # day 7, not yet due
        assert (await rate(api, citizen(WANG), caseNo="M-1", level=4))["__typename"] == (
            "RatingAccepted"
        )
        api.clock.now = datetime.fromisoformat("2026-11-17T11:00:00+08:00")  # default fell due
        late = await rate(api, citizen(WANG), caseNo="M-2", level=2)
        assert late["code"] == "ALREADY_RATED"


@contextlib.asynccontextmanager
async def policy(api: Api, profile: str) -> AsyncIterator[None]:
    """Run the service on a regional profile for the length of the block."""
    publish = (
        "mutation($y: String!, $s: String) { publishRules(yaml: $y, scenarios: $s) { __typename } }"
    )
    staff = token("policy_staff")
    # A shipped profile with its own scenarios; a variant of rules.yaml with the template's.
    scenarios = scenarios_text(profile) if profile in ("haiyang", "min_an") else None
    body = await api.gql(publish, {"y": PROFILES[profile], "s": scenarios}, staff)
    assert body["data"]["publishRules"]["__typename"] == "RulesPublished"
    yield  # the api fixture puts rules.yaml back for the next test


TEMPLATE = (ROOT / "rules.yaml").read_text("utf-8")
PROFILES = {
    p: (ROOT / "rules" / "profiles" / f"{p}.yaml").read_text("utf-8") for p in ("haiyang", "min_an")
}
# The template without its `abuse` block (up to the next top-level comment or key).
PROFILES["no_abuse_limits"] = re.sub(r"(?ms)^abuse:\n.*?(?=^\S)", "", TEMPLATE)
assert "\nabuse:" in TEMPLATE and "\nabuse:" not in PROFILES["no_abuse_limits"]
