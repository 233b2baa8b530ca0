"""`padQueue`: what a paired pad may still offer for rating. Only its own window's cases,
only unrated ones completed within HCP_PAD_RATING_MINUTES (30 here), oldest first; nobody
but a paired pad may read it."""

from __future__ import annotations

from typing import Any

from tests.api.test_pads import pad_rate, pair
from tests.conftest import Api, token
from tests.factories import case_input

QUEUE = "{ padQueue { caseNo matterName staffName completedAt rateBy } }"


async def read_queue(api: Api, authorization: str | None) -> dict[str, Any]:
    headers = {"Authorization": authorization} if authorization else {}
    response = await api.client.post("/graphql", json={"query": QUEUE}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def completed(case_no: str, at: str, **overrides: Any) -> dict[str, Any]:
    """A case completed at `at` (business time on the suite's day, 20:00 now)."""
    return case_input(
        case_no,
        acceptedAt="2026-11-20T19:00:00+08:00",
        completedAt=f"2026-11-20T{at}:00+08:00",
        **overrides,
    )


async def test_the_pad_reads_its_windows_unrated_recent_cases_oldest_first(api: Api) -> None:
    await api.ingest(
        completed("Q-LATE", "19:58"),
        completed("Q-EARLY", "19:40"),
        completed("Q-OTHER", "19:50", windowCode="W-02", windowName="综合受理2号窗口"),
        completed("Q-OLD", "19:29"),  # 31 minutes ago: past the pad's 30 minutes
        completed("Q-RATED", "19:45"),
        completed("Q-MID", "19:50", staffCode=None, staffName=None),
        case_input("Q-OPEN", completedAt=None),
    )
    pad = f"Pad {(await pair(api))['data']['pairPad']['token']}"
    rated = await pad_rate(api, pad.removeprefix("Pad "), "Q-RATED")
    assert rated["data"]["submitRating"]["__typename"] == "RatingAccepted", rated

    queue = (await read_queue(api, pad))["data"]["padQueue"]

    assert [item["caseNo"] for item in queue] == ["Q-EARLY", "Q-MID", "Q-LATE"]
    assert queue[0] == {
        "caseNo": "Q-EARLY",
        "matterName": "营业执照设立登记",
        "staffName": "李晓燕",
        "completedAt": "2026-11-20T19:40:00+08:00",
        "rateBy": "2026-11-20T20:10:00+08:00",
    }
    assert queue[1]["staffName"] is None


async def test_a_case_drops_out_once_rated_or_too_old(api: Api) -> None:
    await api.ingest(completed("Q-A", "19:45"), completed("Q-B", "19:55"))
    pad_token = (await pair(api))["data"]["pairPad"]["token"]
    refused = await pad_rate(api, pad_token, "Q-B", level=1)  # a bad rating needs a reason
    assert refused["data"]["submitRating"]["code"], refused
    queue = (await read_queue(api, f"Pad {pad_token}"))["data"]["padQueue"]
    assert [item["caseNo"] for item in queue] == ["Q-A", "Q-B"]
    accepted = await pad_rate(api, pad_token, "Q-B", level=4)
    assert accepted["data"]["submitRating"]["__typename"] == "RatingAccepted", accepted
    queue = (await read_queue(api, f"Pad {pad_token}"))["data"]["padQueue"]
    assert [item["caseNo"] for item in queue] == ["Q-A"]
    api.clock.advance(minutes=16)  # Q-A completed 31 minutes ago now
    assert (await read_queue(api, f"Pad {pad_token}"))["data"]["padQueue"] == []


async def test_only_a_paired_pad_reads_a_queue(api: Api) -> None:
    await api.ingest(completed("Q-C", "19:55"))
    refused = {
        "anonymous": None,
        "window staff": f"Bearer {token('window_staff', department_code='D-SCJG')}",
        "citizen": f"Bearer {token('citizen', id_number='110105199001010021', name='王小明')}",
        "system": f"Bearer {token('system')}",
        "an unknown pad": "Pad not-a-pad",
    }
    codes = {
        who: (await read_queue(api, authorization))["errors"][0]["extensions"]["code"]
        for who, authorization in refused.items()
    }
    assert codes == {
        "anonymous": "UNAUTHENTICATED",
        "window staff": "FORBIDDEN",
        "citizen": "FORBIDDEN",
        "system": "FORBIDDEN",
        "an unknown pad": "UNAUTHENTICATED",
    }


async def test_another_windows_pad_does_not_see_the_case(api: Api) -> None:
    await api.ingest(
        completed("Q-D", "19:55"),
        completed("Q-E", "19:56", windowCode="W-02", windowName="综合受理2号窗口"),
    )
    staff = token("window_staff", staff_code="S-02", department_code="D-SCJG")
    other = await pair(api, window="W-02", bearer=staff)
    pad_token = other["data"]["pairPad"]["token"]
    queue = (await read_queue(api, f"Pad {pad_token}"))["data"]["padQueue"]
    assert [item["caseNo"] for item in queue] == ["Q-E"]
