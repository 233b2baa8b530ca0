"""The console's set-up through the API, as the other roles would do it between the steps a
test takes on the pages, and the staff sign-in through the mock staff login."""

from __future__ import annotations

import io
from typing import Any

import httpx
from PIL import Image

from tests.conftest import token
from tests.e2e.conftest import Screen, Served, at, expect, new_citizen, unique
from tests.factories import case_input

HANDLER = token("dept_handler", department_code="D-SCJG", staff_code="S-31", sub="e2e-handler")
SUBMIT = """mutation($input: RatingInput!) {
  submitRating(input: $input) { __typename ... on RatingRejected { code message } } }"""
ITEMS = "query { workItems(first: 100) { nodes { id caseNo step } } }"
CALLBACK = """mutation($id: ID!) {
  recordCallback(id: $id, outcome: REACHED, note: "已电话回访") { __typename } }"""
RECTIFY = """mutation($id: ID!, $m: String!, $e: [ID!]) {
  submitRectification(id: $id, measures: $m, evidence: $e) { __typename } }"""


def png() -> bytes:
    """A real picture (the browser shows it), small enough to upload at once."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


async def bad_rating(served: Served, tags: tuple[str, ...] = ("many-windows",)) -> str:
    """A case at W-01 (区市场监管局, served by S-01) rated 非常不满意 by its applicant, with
    `tags` (rules.yaml's reason by default; a policy without reasons takes none)."""
    [case_no] = await bad_ratings(served, 1, tags)
    return case_no


async def bad_ratings(
    served: Served, count: int, tags: tuple[str, ...] = ("many-windows",)
) -> list[str]:
    """`count` such cases, each its own citizen's (one rater's burst would be limited)."""
    citizens = [new_citizen("差评测试人") for _ in range(count)]
    numbers = [unique(f"BAD{n}") for n in range(count)]
    completed = at(10)
    await served.ingest(
        *(
            case_input(n, c.applicant(), acceptedAt=completed, completedAt=completed)
            for n, c in zip(numbers, citizens, strict=True)
        )
    )
    for case_no, citizen in zip(numbers, citizens, strict=True):
        rating = {
            "caseNo": case_no,
            "level": 1,
            "channel": "APP",
            "tags": list(tags),
            "comment": "让我在两个窗口之间来回跑了三趟",
        }
        body = await served.gql(SUBMIT, {"input": rating}, citizen.token)
        assert body["data"]["submitRating"]["__typename"] == "RatingAccepted", body
    return numbers


async def item_of(served: Served, case_no: str) -> dict[str, Any]:
    body = await served.gql(ITEMS, {}, HANDLER)
    [item] = [i for i in body["data"]["workItems"]["nodes"] if i["caseNo"] == case_no]
    return item


async def act(served: Served, query: str, **variables: Any) -> None:
    body = await served.gql(query, variables, HANDLER)
    assert next(iter(body["data"].values()))["__typename"] == "WorkItemUpdated", body


async def upload(served: Served) -> str:
    async with httpx.AsyncClient(base_url=served.base, timeout=10) as client:
        response = await client.post(
            "/evidence",
            content=png(),
            headers={"Authorization": f"Bearer {HANDLER}", "X-File-Name": "ledger.png"},
        )
    assert response.status_code == 201, response.text
    evidence_id: str = response.json()["id"]
    return evidence_id


async def sign_in(
    screen: Screen,
    name: str,
    shot: str,
    *,
    lands: str = "**/console/",
    heading: str = "差评工单",
) -> None:
    """Through the console's 登录 to the mock staff login, as the demo staff member `name`,
    landing at `lands` on the page headed `heading` (the worklist, unless told)."""
    page = screen.page
    await page.goto("/console/")
    await page.get_by_role("link", name="登录").click()
    await expect(page.get_by_role("button", name=name)).to_be_visible()
    await screen.shot(shot)
    await page.get_by_role("button", name=name).click()
    await page.wait_for_url(lands)
    await expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
