"""Audited reveal of a bad rater's phone: only with an open callback, only for the case's
department (or region admins), always with a reason, every attempt in the audit log."""

from __future__ import annotations

from typing import Any

import pytest

from models.db import connection, execute, fetch
from tests.conftest import Api, token
from tests.factories import INGEST, WANG, case_input

REVEAL = """
mutation($n: String!, $r: String!) {
  revealContact(caseNo: $n, reason: $r) {
    __typename
    ... on ContactRevealed { caseNo phone }
    ... on RevealRefused { code message }
  }
}
"""
AUDIT = """
query($first: Int, $after: String) {
  auditLog(first: $first, after: $after) {
    nodes { action outcome actorRole actorSubject actorDepartmentCode caseNo reason }
    pageInfo { hasNextPage endCursor }
  }
}
"""
SUBMIT = """
mutation($input: RatingInput!) {
  submitRating(input: $input) { __typename ... on RatingRejected { code } }
}
"""
HANDLER = token("dept_handler", department_code="D-SCJG", sub="handler-7")
OTHER_HANDLER = token("dept_handler", department_code="D-RSB", sub="handler-9")
ADMIN = token("area_admin", region_code="330283", sub="admin-1")
FAR_ADMIN = token("area_admin", region_code="330302", sub="admin-2")
REASON = "差评回访，核实窗口办理情况"


def citizen() -> str:
    return token("citizen", id_number=WANG["idNumber"], name=WANG["name"])


async def seed(api: Api) -> None:
    body = await api.gql(INGEST, {"cases": [case_input("R-1"), case_input("R-2")]}, token("system"))
    assert body["data"]["ingestCases"]["acceptedCount"] == 2


async def rate(api: Api, case_no: str, level: int, **extra: Any) -> None:
    data = {"caseNo": case_no, "level": level, "channel": "APP", **extra}
    body = await api.gql(SUBMIT, {"input": data}, citizen())
    assert body["data"]["submitRating"]["__typename"] == "RatingAccepted", body


async def reveal(api: Api, bearer: str, case_no: str = "R-1", reason: str = REASON) -> Any:
    return await api.gql(REVEAL, {"n": case_no, "r": reason}, bearer)


def outcome(body: dict[str, Any]) -> str:
    result = body["data"]["revealContact"]
    return "REVEALED" if result["__typename"] == "ContactRevealed" else str(result["code"])


async def callbacks(case_no: str) -> list[tuple[str, str | None]]:
    """The case's callbacks in the order opened: status and why it closed; a closed one has
    its time."""
    rows = await fetch(
        connection(),
        "SELECT k.status, k.close_reason, k.closed_at FROM work_item k "
        "JOIN case_record c ON c.id = k.case_id WHERE c.case_no = ? ORDER BY k.id",
        [case_no],
    )
    assert all((r["closed_at"] is None) == (r["status"] == "OPEN") for r in rows)
    return [(r["status"], r["close_reason"]) for r in rows]


async def test_a_bad_rating_opens_the_callback_that_allows_the_reveal(api: Api) -> None:
    await seed(api)
    assert outcome(await reveal(api, HANDLER)) == "NO_OPEN_CALLBACK"
    await rate(api, "R-1", 5)
    assert outcome(await reveal(api, HANDLER)) == "NO_OPEN_CALLBACK"  # a good rating: no callback
    await rate(api, "R-1", 1, tags=["poor-attitude"])
    body = await reveal(api, HANDLER)
    assert body["data"]["revealContact"] == {
        "__typename": "ContactRevealed",
        "caseNo": "R-1",
        "phone": WANG["phone"],
    }
    assert outcome(await reveal(api, ADMIN)) == "REVEALED"
    # Only that case: its sibling has no bad rating.
    assert outcome(await reveal(api, HANDLER, "R-2")) == "NO_OPEN_CALLBACK"


async def test_the_callback_closes_when_the_rater_replaces_the_bad_rating(api: Api) -> None:
    """Latest wins (rules.yaml): once the case's effective rating is no longer bad there is
    nobody to call back, so the phone is no longer given out."""
    await seed(api)
    await rate(api, "R-1", 1, tags=["poor-attitude"])
    assert outcome(await reveal(api, HANDLER)) == "REVEALED"
    await rate(api, "R-1", 2, tags=["overdue"])  # still bad: the same callback stays open
    assert outcome(await reveal(api, HANDLER)) == "REVEALED"
    await rate(api, "R-1", 5)
    assert outcome(await reveal(api, HANDLER)) == "NO_OPEN_CALLBACK"
    assert outcome(await reveal(api, ADMIN)) == "NO_OPEN_CALLBACK"
    body = await api.gql(AUDIT, {"first": 3}, ADMIN)
    audited = [(n["actorSubject"], n["outcome"]) for n in body["data"]["auditLog"]["nodes"]]
    assert audited == [
        ("admin-1", "NO_OPEN_CALLBACK"),
        ("handler-7", "NO_OPEN_CALLBACK"),
        ("handler-7", "REVEALED"),
    ]
    assert await callbacks("R-1") == [("CLOSED", "RATING_CHANGED")]
    await rate(api, "R-1", 1, tags=["poor-attitude"])  # bad again: a new callback
    assert outcome(await reveal(api, HANDLER)) == "REVEALED"
    assert await callbacks("R-1") == [("CLOSED", "RATING_CHANGED"), ("OPEN", None)]


async def test_who_may_ask_and_how(api: Api) -> None:
    await seed(api)
    await rate(api, "R-1", 1, tags=["poor-attitude"])
    assert outcome(await reveal(api, HANDLER, reason="  看 ")) == "REASON_REQUIRED"
    assert outcome(await reveal(api, HANDLER, reason="x" * 201)) == "REASON_REQUIRED"
    assert outcome(await reveal(api, OTHER_HANDLER)) == "NOT_FOUND"  # another department
    assert outcome(await reveal(api, FAR_ADMIN)) == "NOT_FOUND"  # another region
    assert outcome(await reveal(api, HANDLER, "NO-SUCH")) == "NOT_FOUND"
    for bearer, code in (
        (token("window_staff", department_code="D-SCJG"), "FORBIDDEN"),
        (citizen(), "FORBIDDEN"),
        (token("system"), "FORBIDDEN"),
        (token("policy_staff"), "FORBIDDEN"),
    ):
        body = await reveal(api, bearer)
        assert body["errors"][0]["extensions"]["code"] == code
    body = await api.gql(REVEAL, {"n": "R-1", "r": REASON})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_every_attempt_is_in_the_audit_log_for_the_regions_admins(api: Api) -> None:
    await seed(api)
    await reveal(api, HANDLER)  # refused: no callback yet
    await rate(api, "R-1", 2, tags=["overdue"])
    await reveal(api, HANDLER)
    await reveal(api, OTHER_HANDLER)  # refused: not their department's case
    body = await api.gql(AUDIT, {"first": 2}, ADMIN)
    page = body["data"]["auditLog"]
    assert [n["outcome"] for n in page["nodes"]] == ["NOT_FOUND", "REVEALED"]
    assert page["nodes"][1] == {
        "action": "reveal_contact",
        "outcome": "REVEALED",
        "actorRole": "dept_handler",
        "actorSubject": "handler-7",
        "actorDepartmentCode": "D-SCJG",
        "caseNo": "R-1",
        "reason": REASON,
    }
    rest = await api.gql(AUDIT, {"first": 2, "after": page["pageInfo"]["endCursor"]}, ADMIN)
    assert [n["outcome"] for n in rest["data"]["auditLog"]["nodes"]] == ["NO_OPEN_CALLBACK"]
    assert WANG["phone"] not in str(body) + str(rest)
    far = await api.gql(AUDIT, {}, FAR_ADMIN)
    assert far["data"]["auditLog"]["nodes"] == []
    for bearer in (HANDLER, citizen(), token("system")):
        denied = await api.gql(AUDIT, {}, bearer)
        assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad = await api.gql(AUDIT, {"after": "bm90LWEtY3Vyc29y"}, ADMIN)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_INPUT"


async def test_the_audit_log_is_append_only_in_the_database(api: Api) -> None:
    await seed(api)
    await reveal(api, HANDLER)
    for statement in ("UPDATE audit_log SET reason = 'changed'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"):
            await execute(connection(), statement)
