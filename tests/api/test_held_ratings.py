"""The area admin's queue of held ratings: a comment with one of the policy's listed words
waits for review before it may be published; a rating the burst rule held is stored but
not counted until approved, and then counts only if no later rating has replaced it."""

from __future__ import annotations

from typing import Any

from models.db import connection, fetch
from tests.api.test_abuse import new_device, policy, rate, with_limits
from tests.api.test_ratings import SUBMIT
from tests.conftest import Api, citizen, token
from tests.factories import WANG, case_input, person

ADMIN = token("area_admin", region_code="330283", sub="admin-1")
FAR_ADMIN = token("area_admin", region_code="330302", sub="admin-2")
HANDLER = token("dept_handler", department_code="D-SCJG")
HELD = """query { heldRatings { nodes { id caseNo level comment reason matchedWords dueAt } } }"""
REVIEW = """mutation($id: ID!, $a: Boolean!) { reviewHeldRating(id: $id, approve: $a) {
  __typename ... on HeldRatingReviewed { rating { caseNo reason } }
  ... on HeldRatingRefused { code message } } }"""


async def held(api: Api, bearer: str = ADMIN) -> list[dict[str, Any]]:
    body = await api.gql(HELD, None, bearer)
    assert "errors" not in body, body
    nodes: list[dict[str, Any]] = body["data"]["heldRatings"]["nodes"]
    return nodes


async def case_row(case_no: str) -> dict[str, Any]:
    [row] = await fetch(
        connection(),
        "SELECT c.rating_status, c.effective_rating_id, r.moderation, r.held_for_review "
        "FROM case_record c LEFT JOIN rating r ON r.case_id = c.id WHERE c.case_no = ? "
        "ORDER BY r.id DESC LIMIT 1",
        [case_no],
    )
    return row


async def test_a_comment_with_a_listed_word_waits_for_the_admin_and_is_reviewed_once(
    api: Api,
) -> None:
    await api.ingest(case_input("M-1"))
    data = {"caseNo": "M-1", "level": 4, "channel": "APP", "comment": "工作人员是骗子吗"}
    body = await api.gql(SUBMIT, {"input": data}, citizen(WANG))
    assert body["data"]["submitRating"]["__typename"] == "RatingAccepted", body
    [item] = await held(api)
    assert (item["caseNo"], item["reason"], item["matchedWords"]) == ("M-1", "WORDS", ["骗子"])
    assert item["dueAt"] == "2026-11-27T23:59:59+08:00"  # 5 working days from Fri 11-20
    assert await held(api, FAR_ADMIN) == []
    denied = await api.gql(HELD, None, HANDLER)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    rejected = await api.gql(REVIEW, {"id": item["id"], "a": False}, ADMIN)
    assert rejected["data"]["reviewHeldRating"]["__typename"] == "HeldRatingReviewed"
    again = await api.gql(REVIEW, {"id": item["id"], "a": True}, ADMIN)
    assert again["data"]["reviewHeldRating"]["code"] == "NOT_FOUND"
    assert await held(api) == []
    row = await case_row("M-1")
    assert (row["moderation"], row["held_for_review"]) == ("REJECTED", False)
    assert row["rating_status"] == "RATED"  # the rating counts; its comment is not published


async def test_an_approved_burst_hold_counts_unless_a_later_rating_replaced_it(api: Api) -> None:
    people = [person(i) for i in range(3)]
    await api.ingest(*[case_input(f"H-{i}", people[i]) for i in range(3)])
    device = await new_device(api)
    async with policy(api, with_limits("  hold_device_burst: {raters: 2, within: 10 minutes}\n")):
        results = [await rate(api, people[i], f"H-{i}", device) for i in range(3)]
        fired = ["limit-rating-bursts" in r["decision"]["firedRules"] for r in results]
        assert fired == [False, True, True]
        assert (await case_row("H-1"))["effective_rating_id"] is None  # held: not counted
        api.clock.advance(minutes=1)
        later = await rate(api, people[2], "H-2")  # the rater rates again, on their own
        assert later["__typename"] == "RatingAccepted"
        queue = {item["caseNo"]: item for item in await held(api)}
        assert {k: v["reason"] for k, v in queue.items()} == {"H-1": "BURST", "H-2": "BURST"}
        for case_no in ("H-1", "H-2"):
            body = await api.gql(REVIEW, {"id": queue[case_no]["id"], "a": True}, ADMIN)
            assert body["data"]["reviewHeldRating"]["__typename"] == "HeldRatingReviewed"
    h1 = await case_row("H-1")
    assert h1["rating_status"] == "RATED" and h1["effective_rating_id"] is not None
    [h2] = await fetch(
        connection(),
        "SELECT r.id = c.effective_rating_id AS counts FROM rating r JOIN case_record c "
        "ON c.id = r.case_id WHERE c.case_no = 'H-2' AND r.moderation = 'APPROVED'",
    )
    assert not h2["counts"]  # the later rating stays the case's rating
