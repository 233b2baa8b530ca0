"""Effective dates (施行日期, issue 16): a new version's rating deadlines judge the cases
completed from its effective_from; a case completed before keeps the deadlines of the
version in force when it was completed, across a holiday, in the API, in the ratings it
takes and in the sweep, until a version says a section applies to open cases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.state import app_state
from services.sweep_deadlines import sweep
from tests.conftest import Api, token
from tests.factories import WANG, case_input
from tests.profiles import policy_file, scenarios_text

HAIYANG = policy_file("haiyang").read_text("utf-8")  # 5 working days, no default rating
SCENARIOS = scenarios_text("haiyang")
STAFF = token("policy_staff")
CITIZEN = token("citizen", id_number=WANG["idNumber"], name=WANG["name"])
PUBLISH = """
mutation($y: String!, $s: String) {
  publishRules(yaml: $y, scenarios: $s) {
    __typename ... on RulesRejected { code failedScenarios { name failures } }
  }
}"""
CASE = "query($n: String!) { case(caseNo: $n) { ratingDeadline ratingStatus } }"
RATE = """
mutation($i: RatingInput!) { submitRating(input: $i) { __typename ... on RatingRejected { code } } }
"""


def version(label: str, *, effective: str, within: str, open_cases: str = "") -> str:
    text = HAIYANG.replace("version: haiyang-2021.1", f"version: {label}", 1)
    text = text.replace("effective_from: 2021-03-24", f"effective_from: {effective}{open_cases}")
    assert text.count("within: 5 working days") == 1
    return text.replace("within: 5 working days", f"within: {within}")


async def publish(api: Api, text: str, scenarios: str = SCENARIOS) -> None:
    body = await api.gql(PUBLISH, {"y": text, "s": scenarios}, STAFF)
    assert body["data"]["publishRules"]["__typename"] == "RulesPublished", body


async def case(api: Api, case_no: str) -> dict[str, Any]:
    body = await api.gql(CASE, {"n": case_no}, CITIZEN)
    found: dict[str, Any] = body["data"]["case"]
    return found


async def rate(api: Api, case_no: str, at: str) -> str:
    api.clock.now = datetime.fromisoformat(at)
    body = await api.gql(RATE, {"i": {"caseNo": case_no, "level": 5, "channel": "APP"}}, CITIZEN)
    result = body["data"]["submitRating"]
    return str(result.get("code") or result["__typename"])


async def test_a_longer_late_window_leaves_the_deadlines_of_cases_completed_before_it(
    api: Api,
) -> None:
    await publish(api, HAIYANG)
    await api.ingest(
        # Completed the day before National Day: 5 working days run over the holiday
        # (1-7 October) and the working Saturday 10 October, to 13 October.
        case_input(
            "E-1", acceptedAt="2026-09-30T09:00:00+08:00", completedAt="2026-09-30T15:00:00+08:00"
        ),
        case_input(
            "E-2", acceptedAt="2026-09-30T09:00:00+08:00", completedAt="2026-09-30T16:00:00+08:00"
        ),
        # Completed after the new version took effect: 10 working days, to 26 October.
        case_input(
            "E-3", acceptedAt="2026-10-12T09:00:00+08:00", completedAt="2026-10-12T10:00:00+08:00"
        ),
    )
    assert (await case(api, "E-1"))["ratingDeadline"] == "2026-10-13T23:59:59+08:00"
    await publish(api, version("haiyang-2026.10", effective="2026-10-09", within="10 working days"))
    assert (await case(api, "E-1"))["ratingDeadline"] == "2026-10-13T23:59:59+08:00"
    assert (await case(api, "E-3"))["ratingDeadline"] == "2026-10-26T23:59:59+08:00"
    # The rating window of the old case closed when it always would have ...
    assert await rate(api, "E-1", "2026-10-13T20:00:00+08:00") == "RatingAccepted"
    assert await rate(api, "E-2", "2026-10-14T09:00:00+08:00") == "RATING_WINDOW_CLOSED"
    # ... and the new case takes ratings past the old 5 days.
    assert await rate(api, "E-3", "2026-10-23T09:00:00+08:00") == "RatingAccepted"
    # The sweep expires the old unrated case by its old deadline.
    engine = app_state(api.app).collaborators.engine
    report = await sweep(engine=engine, now=datetime.fromisoformat("2026-10-14T12:00:00+08:00"))
    assert report.expired == 1
    assert (await case(api, "E-2"))["ratingStatus"] == "EXPIRED"


async def test_a_section_declared_for_open_cases_moves_their_deadlines(api: Api) -> None:
    await publish(api, HAIYANG)
    await api.ingest(
        case_input(
            "O-1", acceptedAt="2026-09-30T09:00:00+08:00", completedAt="2026-09-30T15:00:00+08:00"
        )
    )
    text = version(
        "haiyang-open",
        effective="2026-10-09",
        within="10 working days",
        open_cases="\napplies_to_open_cases: [late_rating]",
    )
    # Its scenarios must now say so too: the 30 September case closes on 20 October.
    moved = (
        SCENARIOS.replace(
            'rated_at: "2026-10-13T20:00:00+08:00"}', 'rated_at: "2026-10-20T20:00:00+08:00"}'
        )
        .replace('rated_at: "2026-10-14T09:00:00+08:00"}', 'rated_at: "2026-10-21T09:00:00+08:00"}')
        .replace('deadline: "2026-10-13T23:59:59+08:00"', 'deadline: "2026-10-20T23:59:59+08:00"')
    )
    assert moved.count("2026-10-20T23:59:59") == SCENARIOS.count("2026-10-20T23:59:59") + 3
    refused = await api.gql(PUBLISH, {"y": text, "s": SCENARIOS}, STAFF)
    assert refused["data"]["publishRules"]["code"] == "SCENARIOS_FAILED"
    await publish(api, text, moved)
    assert (await case(api, "O-1"))["ratingDeadline"] == "2026-10-20T23:59:59+08:00"
    assert await rate(api, "O-1", "2026-10-19T09:00:00+08:00") == "RatingAccepted"
