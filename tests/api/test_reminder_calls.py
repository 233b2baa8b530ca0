"""Reminder calls (提醒电话) through the API: the department's handlers list the calls the
sweep opened for it (the region's admins those of their region), may reveal the phone while
a call is open, and record what came of each call; audited, with no personal data in a
call or in any refusal."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

from models.db import connection, execute
from rules import Engine, parse
from services.sweep_deadlines import SweepReport, sweep
from tests.conftest import Api, token
from tests.factories import (
    INGEST,
    PEOPLE,
    WANG,
    case_input,
    other_department_case,
    other_region_case,
)

CALLS = """
query($first: Int, $after: String) {
  reminderCalls(first: $first, after: $after) {
    nodes { id caseNo matterName completedAt openedAt reason attempts lastOutcome }
    pageInfo { hasNextPage endCursor }
  }
}
"""
RECORD = """
mutation($id: ID!, $outcome: ReminderCallOutcome!) {
  recordReminderCall(id: $id, outcome: $outcome) {
    __typename
    ... on ReminderCallRecorded { call { id caseNo attempts lastOutcome } }
    ... on ReminderCallRefused { code message }
  }
}
"""
REVEAL = """
mutation($n: String!) {
  revealContact(caseNo: $n, reason: "未评价提醒电话") {
    __typename
    ... on ContactRevealed { phone }
    ... on RevealRefused { code message }
  }
}
"""
AUDIT = "{ auditLog { nodes { action outcome actorSubject caseNo } } }"
HANDLER = token("dept_handler", department_code="D-SCJG", sub="handler-7")
OTHER_HANDLER = token("dept_handler", department_code="D-RSB", sub="handler-9")
ADMIN = token("area_admin", region_code="330283", sub="admin-1")
FAR_ADMIN = token("area_admin", region_code="330302", sub="admin-2")
STAFF = token("window_staff", department_code="D-SCJG")
CITIZEN = token("citizen", id_number=WANG["idNumber"], name=WANG["name"])
PERSONAL = [person[key] for person in PEOPLE for key in ("name", "idNumber", "phone")]


def chores(report: SweepReport) -> SweepReport:
    """The report without the statistics' recount, which every pass after a write does
    (tests/api/test_statistics.py checks what it counts)."""
    return replace(report, statistics_cells_recounted=0)


def call_policy(api: Api) -> Engine:
    """The app's policy, reminding by a call instead of an SMS."""
    text = api.settings.rules_path.read_text(encoding="utf-8")
    assert text.count("via: [SMS]") == 1
    return Engine(parse(text.replace("via: [SMS]", "via: [CALL]")))


async def seed(api: Api) -> None:
    """R-1 (D-SCJG), C-1 (D-RSB, a town of the district) and E-1 (another city) get a
    call; R-2 was completed too recently."""
    cases = [
        case_input("R-1"),
        case_input("R-2", completedAt="2026-11-20T19:00:00+08:00"),
        other_department_case(),
        other_region_case(),
    ]
    body = await api.gql(INGEST, {"cases": cases}, token("system"))
    assert body["data"]["ingestCases"]["acceptedCount"] == len(cases)
    report = await sweep(engine=call_policy(api), now=api.clock.now)
    assert chores(report) == SweepReport(reminders_queued=3, reminder_calls_queued=3)


async def listed(api: Api, bearer: str, **variables: Any) -> list[dict[str, Any]]:
    body = await api.gql(CALLS, variables, bearer)
    assert "errors" not in body, body
    nodes: list[dict[str, Any]] = body["data"]["reminderCalls"]["nodes"]
    return nodes


async def record(api: Api, bearer: str, call_id: str, outcome: str) -> dict[str, Any]:
    body = await api.gql(RECORD, {"id": call_id, "outcome": outcome}, bearer)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["recordReminderCall"]
    return result


async def reveal(api: Api, bearer: str, case_no: str = "R-1") -> str:
    body = await api.gql(REVEAL, {"n": case_no}, bearer)
    result = body["data"]["revealContact"]
    return "REVEALED" if result["__typename"] == "ContactRevealed" else str(result["code"])


def error_code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


async def test_a_handler_calls_reveals_and_records_until_the_call_is_closed(api: Api) -> None:
    body = await api.gql(
        INGEST, {"cases": [case_input("R-1"), other_department_case()]}, token("system")
    )
    assert body["data"]["ingestCases"]["acceptedCount"] == 2
    assert await listed(api, HANDLER) == []
    assert await reveal(api, HANDLER) == "NO_OPEN_CALLBACK"
    await sweep(engine=call_policy(api), now=api.clock.now)

    [call] = await listed(api, HANDLER)
    assert {k: v for k, v in call.items() if k != "id"} == {
        "caseNo": "R-1",
        "matterName": "营业执照设立登记",
        "completedAt": "2026-11-18T10:05:00+08:00",
        "openedAt": "2026-11-20T20:00:00+08:00",
        "reason": "DUE",
        "attempts": 0,
        "lastOutcome": None,
    }
    assert await reveal(api, HANDLER) == "REVEALED"

    no_answer = await record(api, HANDLER, call["id"], "NO_ANSWER")
    assert no_answer == {
        "__typename": "ReminderCallRecorded",
        "call": {"id": call["id"], "caseNo": "R-1", "attempts": 1, "lastOutcome": "NO_ANSWER"},
    }
    [again] = await listed(api, HANDLER)
    assert (again["attempts"], again["lastOutcome"]) == (1, "NO_ANSWER")

    reached = await record(api, HANDLER, call["id"], "REACHED")
    assert reached["call"]["attempts"] == 2 and reached["call"]["lastOutcome"] == "REACHED"
    assert await listed(api, HANDLER) == []
    assert await reveal(api, HANDLER) == "NO_OPEN_CALLBACK"
    closed = await record(api, HANDLER, call["id"], "NO_ANSWER")
    assert closed["code"] == "ALREADY_CLOSED"

    audit = await api.gql(AUDIT, {}, ADMIN)
    entries = [
        (e["action"], e["outcome"], e["actorSubject"], e["caseNo"])
        for e in audit["data"]["auditLog"]["nodes"]
    ]
    assert entries == [
        ("reveal_contact", "NO_OPEN_CALLBACK", "handler-7", "R-1"),
        ("reminder_call", "REACHED", "handler-7", "R-1"),
        ("reminder_call", "NO_ANSWER", "handler-7", "R-1"),
        ("reveal_contact", "REVEALED", "handler-7", "R-1"),
        ("reveal_contact", "NO_OPEN_CALLBACK", "handler-7", "R-1"),
    ]


async def test_each_sees_the_calls_of_their_department_or_region(api: Api) -> None:
    await seed(api)
    assert [c["caseNo"] for c in await listed(api, HANDLER)] == ["R-1"]
    assert [c["caseNo"] for c in await listed(api, OTHER_HANDLER)] == ["C-1"]
    assert sorted(c["caseNo"] for c in await listed(api, ADMIN)) == ["C-1", "R-1"]
    assert [c["caseNo"] for c in await listed(api, FAR_ADMIN)] == ["E-1"]
    for bearer in (STAFF, CITIZEN, token("system"), token("policy_staff")):
        assert error_code(await api.gql(CALLS, {}, bearer)) == "FORBIDDEN"
    assert error_code(await api.gql(CALLS, {})) == "UNAUTHENTICATED"


async def test_a_call_out_of_reach_is_not_found_like_one_that_does_not_exist(api: Api) -> None:
    await seed(api)
    [mine] = await listed(api, HANDLER)
    [theirs] = await listed(api, FAR_ADMIN)
    missing = await record(api, HANDLER, "987654321", "REACHED")
    assert missing["__typename"] == "ReminderCallRefused"
    assert missing["code"] == "NOT_FOUND"
    for bearer, call_id in (
        (OTHER_HANDLER, mine["id"]),
        (FAR_ADMIN, mine["id"]),
        (HANDLER, theirs["id"]),
        (HANDLER, "abc"),
        (HANDLER, "0"),
        (HANDLER, "-1"),
        (HANDLER, "99999999999999999999999999"),
        (HANDLER, "１"),
    ):
        assert await record(api, bearer, call_id, "REACHED") == missing, (bearer, call_id)
    for bearer in (STAFF, CITIZEN, token("system")):
        body = await api.gql(RECORD, {"id": mine["id"], "outcome": "REACHED"}, bearer)
        assert error_code(body) == "FORBIDDEN"
    anonymous = await api.gql(RECORD, {"id": mine["id"], "outcome": "REACHED"})
    assert error_code(anonymous) == "UNAUTHENTICATED"
    cancelled = await api.gql(RECORD, {"id": mine["id"], "outcome": "CANCELLED"}, HANDLER)
    assert error_code(cancelled) == "BAD_INPUT"  # the sweep's outcome, not staff's
    # Nothing was recorded by any of it.
    assert (await listed(api, HANDLER))[0]["attempts"] == 0
    # The region's admin may record the calls of the region's departments.
    wrong = await record(api, ADMIN, mine["id"], "WRONG_NUMBER")
    assert wrong["call"]["lastOutcome"] == "WRONG_NUMBER"
    assert await listed(api, HANDLER) == []


async def test_the_list_pages_oldest_first(api: Api) -> None:
    await seed(api)
    # Opened later than the others though its id is the lowest: the order is by time.
    await execute(
        connection(),
        "UPDATE reminder_call SET opened_at = ? WHERE id = (SELECT MIN(id) FROM reminder_call)",
        [api.clock.now + timedelta(hours=1)],
    )
    everything = await listed(api, ADMIN)
    assert int(everything[-1]["id"]) < int(everything[0]["id"])
    walked, after = [], None
    while True:
        body = await api.gql(CALLS, {"first": 1, "after": after}, ADMIN)
        page = body["data"]["reminderCalls"]
        walked += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert walked == everything
    first = await api.gql(CALLS, {"first": 1}, ADMIN)
    page = first["data"]["reminderCalls"]
    assert [n["caseNo"] for n in page["nodes"]] == [everything[0]["caseNo"]]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await api.gql(CALLS, {"first": 5, "after": page["pageInfo"]["endCursor"]}, ADMIN)
    assert rest["data"]["reminderCalls"]["nodes"] == everything[1:]
    assert rest["data"]["reminderCalls"]["pageInfo"]["hasNextPage"] is False
    for variables in ({"first": 0}, {"first": 101}, {"after": "bm90LWEtY3Vyc29y"}):
        assert error_code(await api.gql(CALLS, variables, ADMIN)) == "BAD_INPUT"


async def test_no_personal_data_in_calls_or_refusals(api: Api) -> None:
    await seed(api)
    bodies = [await api.gql(CALLS, {}, bearer) for bearer in (HANDLER, ADMIN, FAR_ADMIN)]
    [call] = await listed(api, HANDLER)
    bodies += [
        await api.gql(RECORD, {"id": call["id"], "outcome": "NO_ANSWER"}, bearer)
        for bearer in (OTHER_HANDLER, FAR_ADMIN, STAFF, CITIZEN, HANDLER)
    ]
    await record(api, HANDLER, call["id"], "REACHED")
    bodies.append(await api.gql(RECORD, {"id": call["id"], "outcome": "REACHED"}, HANDLER))
    bodies.append(await api.gql(REVEAL, {"n": "R-1"}, HANDLER))
    text = json.dumps(bodies, ensure_ascii=False)
    assert "ALREADY_CLOSED" in text and "NO_OPEN_CALLBACK" in text and "NOT_FOUND" in text
    leaked = [value for value in PERSONAL if value in text]
    assert leaked == []


async def test_a_call_whose_case_was_rated_gives_nothing_even_before_the_sweep(api: Api) -> None:
    """The citizen rates after the call was opened: nobody is to ring them, so the call is
    off the list and opens no phone at once, not only after the next sweep cancels it."""
    await seed(api)
    [call] = await listed(api, HANDLER)
    assert await reveal(api, HANDLER) == "REVEALED"
    rated = await api.gql(
        'mutation { submitRating(input: {caseNo: "R-1", level: 5, channel: APP}) { __typename } }',
        {},
        CITIZEN,
    )
    assert rated["data"]["submitRating"]["__typename"] == "RatingAccepted"
    assert await listed(api, HANDLER) == []
    assert await reveal(api, HANDLER) == "NO_OPEN_CALLBACK"
    assert await reveal(api, ADMIN) == "NO_OPEN_CALLBACK"
    refused = await record(api, HANDLER, call["id"], "REACHED")
    assert refused["code"] == "ALREADY_CLOSED"
    report = await sweep(engine=call_policy(api), now=api.clock.now)
    assert report.reminder_calls_cancelled == 1
