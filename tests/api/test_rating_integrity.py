"""Integrity of rating (issue 11): who may enter a rating for the applicant, limits that
count the applicant an operator or a pad represents, answers that cannot map case numbers,
request ids that keep only final answers, and "latest" in the order the case lock admits."""

from __future__ import annotations

import asyncio
from typing import Any

from models.db import connection, execute, fetch
from tests.api.test_abuse import TEMPLATE, policy
from tests.api.test_ratings import PROFILES, rate
from tests.conftest import Api, citizen, token
from tests.factories import CHEN, WANG, case_input, other_department_case, person

HISTORY = """
query($n: String!) { case(caseNo: $n) { ratingStatus
  effectiveRating { level channel }
  ratings { level channel effective ratedAt } } }
"""
OWN_STANDS = "    displaces_own_rating: false\n"
NO_LIMITS = PROFILES["no_abuse_limits"]
# In-scope staff of the case's department (D-SCJG) who did not handle it (S-01 did).
CLERK = token("window_staff", staff_code="S-02", department_code="D-SCJG")


async def history(api: Api, case_no: str) -> dict[str, Any]:
    body = await api.gql(HISTORY, {"n": case_no}, token("system"))
    found: dict[str, Any] = body["data"]["case"]
    return found


def outcome(result: dict[str, Any]) -> str:
    return str(result.get("status") or result.get("code"))


# --- 1. who may enter a rating for someone else ---------------------------------------


async def test_staff_of_an_unrelated_department_cannot_enter_a_rating(api: Api) -> None:
    await api.ingest(case_input("A-1"))
    own = await rate(api, citizen(WANG), caseNo="A-1", level=1, tags=["poor-attitude"])
    assert outcome(own) == "EFFECTIVE"
    stranger = token("dept_handler", staff_code="S-77", department_code="D-RSB")
    for channel in ("HOTLINE", "PAPER", "KIOSK"):
        result = await rate(api, stranger, caseNo="A-1", level=5, channel=channel)
        # Not theirs to see: answered as a case that is not there.
        assert result["code"] == "NOT_FOUND", (channel, result)
    case = await history(api, "A-1")
    assert case["effectiveRating"] == {"level": 1, "channel": "APP"}
    assert len(case["ratings"]) == 1


async def test_an_entry_on_the_applicants_behalf_does_not_displace_their_own(api: Api) -> None:
    await api.ingest(case_input("A-2"))
    own = await rate(api, citizen(WANG), caseNo="A-2", level=1, tags=["poor-attitude"])
    assert outcome(own) == "EFFECTIVE"
    entered = await rate(api, CLERK, caseNo="A-2", level=5, channel="PAPER")
    assert outcome(entered) == "RECORDED"
    assert "本人" in entered["message"]
    case = await history(api, "A-2")
    assert case["effectiveRating"] == {"level": 1, "channel": "APP"}
    assert [(r["level"], r["effective"]) for r in case["ratings"]] in (
        [(5, False), (1, True)],
        [(1, True), (5, False)],
    )
    # Who entered it is recorded with it.
    rows = await fetch(
        connection(), "SELECT rater_role, rater_key FROM rating WHERE level = ?", [5]
    )
    assert rows == [{"rater_role": "window_staff", "rater_key": "staff:S-02"}]
    # The applicant's own later rating still wins as usual.
    again = await rate(api, citizen(WANG), caseNo="A-2", level=3)
    assert outcome(again) == "EFFECTIVE"
    assert (await history(api, "A-2"))["effectiveRating"] == {"level": 3, "channel": "APP"}


async def test_the_policy_may_let_an_entry_displace_the_applicants_own(api: Api) -> None:
    assert OWN_STANDS in TEMPLATE
    async with policy(api, TEMPLATE.replace(OWN_STANDS, "    displaces_own_rating: true\n")):
        await api.ingest(case_input("A-3"))
        await rate(api, citizen(WANG), caseNo="A-3", level=1, tags=["poor-attitude"])
        entered = await rate(api, CLERK, caseNo="A-3", level=5, channel="HOTLINE")
        assert outcome(entered) == "EFFECTIVE"
        assert (await history(api, "A-3"))["effectiveRating"] == {"level": 5, "channel": "HOTLINE"}


async def test_an_entry_on_an_unrated_case_counts(api: Api) -> None:
    await api.ingest(case_input("A-4"))
    entered = await rate(api, CLERK, caseNo="A-4", level=4, channel="PAPER")
    assert outcome(entered) == "EFFECTIVE"
    assert (await history(api, "A-4"))["effectiveRating"] == {"level": 4, "channel": "PAPER"}


async def test_the_staff_member_who_handled_the_case_never_rates_it(api: Api) -> None:
    await api.ingest(case_input("A-5"))
    # The handler's code as another system writes it: other case, surrounding space.
    handler = token("window_staff", staff_code="  s-01 ", department_code="D-SCJG")
    for channel in ("HOTLINE", "PAPER", "KIOSK"):
        result = await rate(api, handler, caseNo="A-5", level=5, channel=channel)
        assert result["code"] == "NOT_RATER", (channel, result)
    assert (await history(api, "A-5"))["ratings"] == []


async def test_a_staff_token_without_a_staff_code_is_refused(api: Api) -> None:
    await api.ingest(case_input("A-6"))
    nameless = token("dept_handler", department_code="D-SCJG")
    result = await rate(api, nameless, caseNo="A-6", level=5, channel="PAPER")
    assert result["code"] == "STAFF_CODE_REQUIRED"
    assert (await history(api, "A-6"))["ratings"] == []


async def test_hotline_operators_enter_ratings_for_their_region_only(api: Api) -> None:
    # A-7 is in 溪口镇 (330283100), below the district 330283; E-like cases elsewhere are not.
    await api.ingest(other_department_case("A-7"))
    district = token("hotline_operator", staff_code="H-01", region_code="330283")
    elsewhere = token("hotline_operator", staff_code="H-02", region_code="330300")
    assert outcome(await rate(api, elsewhere, caseNo="A-7", level=5, channel="HOTLINE")) == (
        "NOT_FOUND"
    )
    assert outcome(await rate(api, district, caseNo="A-7", level=5, channel="PAPER")) == (
        "NOT_RATER"
    )  # a hotline takes calls, not paper forms
    assert outcome(await rate(api, district, caseNo="A-7", level=5, channel="HOTLINE")) == (
        "EFFECTIVE"
    )


async def test_a_case_outside_the_operators_scope_tells_nothing_about_itself(api: Api) -> None:
    """Not completed, or handled by a staff member of the same code: out of scope, the answer
    is still NOT_FOUND, as for a case number that does not exist."""
    await api.ingest(
        other_department_case("A-9") | {"completedAt": None},
        case_input("A-10", staffCode="H-02"),
    )
    elsewhere = token("hotline_operator", staff_code="H-02", region_code="330300")
    stranger = token("dept_handler", staff_code="S-77", department_code="D-RSB")
    for bearer, case_no in ((elsewhere, "A-9"), (elsewhere, "A-10"), (stranger, "A-10")):
        result = await rate(api, bearer, caseNo=case_no, level=5, channel="HOTLINE")
        assert result["code"] == "NOT_FOUND", (case_no, result)


async def test_hall_staff_may_enter_for_cases_at_their_halls_windows(api: Api) -> None:
    await api.ingest(case_input("A-8"))
    await execute(connection(), "INSERT INTO hall (code, name) VALUES (?, ?)", ["H-1", "大厅"])
    await execute(
        connection(),
        "UPDATE service_window SET hall_id = (SELECT id FROM hall WHERE code = ?) WHERE code = ?",
        ["H-1", "W-01"],
    )
    helper = token("window_staff", staff_code="S-50", department_code="D-RSB", hall_code="H-1")
    assert outcome(await rate(api, helper, caseNo="A-8", level=4, channel="KIOSK")) == "EFFECTIVE"


# --- 2. limits that count the represented applicant -----------------------------------


async def test_a_paper_clerk_enters_more_forms_than_one_rater_may_give(api: Api) -> None:
    """rules.yaml allows 20 ratings an hour per rater: a clerk typing in 25 applicants' forms
    is 25 raters, each within their own limit."""
    await api.ingest(*[case_input(f"P-{i}", person(i)) for i in range(25)])
    results = [
        outcome(await rate(api, CLERK, caseNo=f"P-{i}", level=4, channel="PAPER"))
        for i in range(25)
    ]
    assert results == ["EFFECTIVE"] * 25


async def test_an_operator_has_a_limit_of_its_own(api: Api) -> None:
    text = TEMPLATE.replace(
        "  per_operator: {max: 200, within: 1 hour}\n", "  per_operator: {max: 3, within: 1 hour}\n"
    )
    assert text != TEMPLATE
    async with policy(api, text):
        await api.ingest(*[case_input(f"Q-{i}", person(i)) for i in range(5)])
        results = [
            outcome(await rate(api, CLERK, caseNo=f"Q-{i}", level=4, channel="PAPER"))
            for i in range(5)
        ]
    assert results == ["EFFECTIVE"] * 3 + ["RATE_LIMITED"] * 2
    assert (await history(api, "Q-4"))["ratings"] == []


async def test_staff_entries_do_not_use_up_the_applicants_own_allowance(api: Api) -> None:
    """rules.yaml: 20 ratings an hour per rater. Twenty entries staff make for Wang are
    counted apart from Wang's own ratings."""
    await api.ingest(*[case_input(f"W-{i}") for i in range(21)])
    entered = [
        outcome(await rate(api, CLERK, caseNo=f"W-{i}", level=4, channel="PAPER"))
        for i in range(20)
    ]
    assert entered == ["EFFECTIVE"] * 20
    assert outcome(await rate(api, citizen(WANG), caseNo="W-20", level=5)) == "EFFECTIVE"


async def test_a_refused_attempt_uses_up_no_allowance(api: Api) -> None:
    """A rater correcting a form (a bad rating without a reason, 25 times) still has the
    whole hourly allowance for the rating that is stored."""
    await api.ingest(case_input("U-1"))
    refused = [outcome(await rate(api, citizen(WANG), caseNo="U-1", level=1)) for _ in range(25)]
    assert refused == ["REASON_REQUIRED"] * 25
    stored = await rate(api, citizen(WANG), caseNo="U-1", level=1, tags=["poor-attitude"])
    assert outcome(stored) == "EFFECTIVE"


# --- 4. no map of case numbers --------------------------------------------------------


async def test_someone_elses_case_and_a_missing_one_answer_alike(api: Api) -> None:
    await api.ingest(case_input("N-1"))
    theirs = await rate(api, citizen(CHEN), caseNo="N-1", level=5)
    missing = await rate(api, citizen(CHEN), caseNo="N-404", level=5)
    assert (
        theirs
        == missing
        == {
            "__typename": "RatingRejected",
            "code": "NOT_FOUND",
            "message": missing["message"],
        }
    )


async def test_trying_case_numbers_is_counted_and_stopped(api: Api) -> None:
    await api.ingest(case_input("N-2"), case_input("N-3", CHEN))
    answers = [
        outcome(await rate(api, citizen(CHEN), caseNo=f"N-X{i}", level=5)) for i in range(20)
    ]
    assert answers == ["NOT_FOUND"] * 20  # rules.yaml abuse.not_found: 20 an hour
    # Past the limit, a real case of someone else and a missing one still answer alike.
    assert outcome(await rate(api, citizen(CHEN), caseNo="N-2", level=5)) == "RATE_LIMITED"
    assert outcome(await rate(api, citizen(CHEN), caseNo="N-X99", level=5)) == "RATE_LIMITED"
    # Their own case is still theirs to rate.
    assert outcome(await rate(api, citizen(CHEN), caseNo="N-3", level=5)) == "EFFECTIVE"
    assert (await history(api, "N-2"))["ratings"] == []


# --- 5. idempotency and ordering ------------------------------------------------------


async def test_an_answer_that_can_change_is_not_replayed(api: Api) -> None:
    request = {"caseNo": "I-1", "level": 5, "clientRequestId": "req-later-1"}
    assert outcome(await rate(api, citizen(WANG), **request)) == "NOT_FOUND"
    await api.ingest(case_input("I-1", completedAt=None))
    assert outcome(await rate(api, citizen(WANG), **request)) == "CASE_NOT_COMPLETED"
    await api.ingest(case_input("I-1"))
    first = await rate(api, citizen(WANG), **request)
    assert outcome(first) == "EFFECTIVE"
    # A final answer is kept: the retry replays it and stores nothing new.
    assert await rate(api, citizen(WANG), **request) == first
    assert len((await history(api, "I-1"))["ratings"]) == 1


async def test_a_final_refusal_is_replayed(api: Api) -> None:
    await api.ingest(case_input("I-2"))
    request = {"caseNo": "I-2", "level": 2, "clientRequestId": "req-final-1"}
    assert outcome(await rate(api, citizen(WANG), **request)) == "REASON_REQUIRED"
    assert outcome(await rate(api, citizen(WANG), **request)) == "REASON_REQUIRED"


async def test_latest_means_latest_in_the_order_the_lock_admits(api: Api) -> None:
    """Fifty ratings of one case at once (the clock stands still in tests, the worst case
    for "latest"): the effective one is the one with the latest ratedAt, and the history's
    times are in the order the ratings were written."""
    await api.ingest(case_input("O-1"))
    levels = [5, 4, 3] * 17
    async with policy(api, NO_LIMITS):  # one rater 50 times: past rules.yaml's 20 an hour
        results = await asyncio.gather(
            *[
                rate(api, citizen(WANG), caseNo="O-1", level=level, clientRequestId=f"race-{i}")
                for i, level in enumerate(levels[:50])
            ]
        )
    assert {outcome(r) for r in results} == {"EFFECTIVE"}
    times = [r["rating"]["ratedAt"] for r in results]
    assert len(set(times)) == 50
    rows = await fetch(
        connection(),
        "SELECT id, level, rated_at, effective FROM rating "
        "WHERE case_id = (SELECT id FROM case_record WHERE case_no = ?) ORDER BY id",
        ["O-1"],
    )
    assert [r["rated_at"] for r in rows] == sorted(r["rated_at"] for r in rows)
    effective = [r for r in rows if r["effective"]]
    assert len(effective) == 1
    assert effective[0]["id"] == rows[-1]["id"]
    latest = max(results, key=lambda r: r["rating"]["ratedAt"])
    assert (await history(api, "O-1"))["effectiveRating"]["level"] == latest["rating"]["level"]
