"""The evaluator pad: paired by hall staff, told of each case completed at its window over
graphql-transport-ws, and allowed to rate only those cases, only just after completion."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import connect

from tests.api.test_ratings import SUBMIT
from tests.conftest import Api, token
from tests.factories import case_input

PAIR = "mutation($w: String!) { pairPad(windowCode: $w) { token windowCode expiresAt } }"
LISTEN = 'subscription { windowEvents(windowCode: "W-01") { caseNo } }'
STAFF = token("window_staff", staff_code="S-02", department_code="D-SCJG")


async def pair(api: Api, window: str = "W-01", bearer: str = STAFF) -> dict[str, Any]:
    return await api.gql(PAIR, {"w": window}, bearer)


async def pad_rate(api: Api, pad_token: str, case_no: str, level: int = 5) -> dict[str, Any]:
    response = await api.client.post(
        "/graphql",
        json={
            "query": SUBMIT,
            "variables": {"input": {"caseNo": case_no, "level": level, "channel": "PAD"}},
        },
        headers={"Authorization": f"Pad {pad_token}"},
    )
    body: dict[str, Any] = response.json()
    return body


async def seed_window_cases(api: Api, prefix: str) -> None:
    """<prefix>-1 completed ten minutes before the suite's clock at W-01 (the pad's window),
    <prefix>-2 at the same time at W-02, <prefix>-3 completed days ago at W-01."""
    completed = "2026-11-20T19:50:00+08:00"
    await api.ingest(
        case_input(f"{prefix}-1", acceptedAt="2026-11-20T19:00:00+08:00", completedAt=completed),
        case_input(
            f"{prefix}-2",
            acceptedAt="2026-11-20T19:00:00+08:00",
            completedAt=completed,
            windowCode="W-02",
            windowName="综合受理2号窗口",
        ),
        case_input(f"{prefix}-3"),
    )


async def test_staff_of_the_windows_department_pair_a_pad(api: Api) -> None:
    await api.ingest(case_input("P-0"))
    pairing = (await pair(api))["data"]["pairPad"]
    assert pairing["windowCode"] == "W-01" and len(pairing["token"]) > 30
    other = token("window_staff", staff_code="S-05", department_code="D-RSB")
    assert (await pair(api, bearer=other))["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await pair(api, window="W-NONE"))["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_pad_rates_only_its_windows_cases_just_after_completion(api: Api) -> None:
    await seed_window_cases(api, "P")
    pad_token = (await pair(api))["data"]["pairPad"]["token"]
    accepted = await pad_rate(api, pad_token, "P-1")
    assert accepted["data"]["submitRating"]["__typename"] == "RatingAccepted", accepted
    # Another window's case is not the pad's to see (answered as missing); its own window's
    # case completed days ago is not the pad's to rate.
    for case_no, code in (("P-2", "NOT_FOUND"), ("P-3", "NOT_RATER")):
        refused = await pad_rate(api, pad_token, case_no)
        assert refused["data"]["submitRating"]["code"] == code, case_no
    api.clock.advance(hours=1)
    assert (await pad_rate(api, pad_token, "P-1"))["data"]["submitRating"]["code"] == "NOT_RATER"


async def test_an_unknown_or_expired_pad_token_is_unauthenticated(api: Api) -> None:
    await api.ingest(case_input("P-4"))
    pad_token = (await pair(api))["data"]["pairPad"]["token"]
    bogus = await pad_rate(api, "not-a-pad", "P-4")
    assert bogus["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    api.clock.advance(days=366)  # HCP_PAD_DAYS: 365 by default
    expired = await pad_rate(api, pad_token, "P-4")
    assert expired["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_pad_hears_each_case_completed_at_its_window(
    api: Api,
    live_url: str,
) -> None:
    await api.ingest(case_input("E-0"))
    pad_token = (await pair(api))["data"]["pairPad"]["token"]
    query = (
        'subscription { windowEvents(windowCode: "W-01") '
        "{ windowCode caseNo matterName staffName completedAt } }"
    )
    async with connect(f"ws://{live_url}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(
            json.dumps(
                {"type": "connection_init", "payload": {"Authorization": f"Pad {pad_token}"}}
            )
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        await asyncio.sleep(0.2)  # readiness, not timing: the subscribe is not acknowledged
        await api.ingest(
            case_input("E-1", completedAt=None),
            case_input("E-2", windowCode="W-02", windowName="综合受理2号窗口"),
        )
        await api.ingest(case_input("E-1", completedAt="2026-11-20T19:55:00+08:00"))
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
    assert message["type"] == "next", message
    assert message["payload"]["data"]["windowEvents"] == {
        "windowCode": "W-01",
        "caseNo": "E-1",
        "matterName": "营业执照设立登记",
        "staffName": "李晓燕",
        "completedAt": "2026-11-20T19:55:00+08:00",
    }


async def test_other_windows_and_citizens_cannot_listen(api: Api, live_url: str) -> None:
    await api.ingest(case_input("E-3"))
    pad_token = (await pair(api))["data"]["pairPad"]["token"]
    for auth, window in (
        (f"Pad {pad_token}", "W-02"),
        (f"Bearer {token('citizen', id_number='11010519491231002X')}", "W-01"),
    ):
        async with connect(f"ws://{live_url}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(
                json.dumps({"type": "connection_init", "payload": {"Authorization": auth}})
            )
            await ws.recv()
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {
                            "query": LISTEN.replace("W-01", window),
                        },
                    }
                )
            )
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
            payload = message["payload"]
            errors = payload.get("errors", payload) if isinstance(payload, dict) else payload
            assert errors[0]["extensions"]["code"] == "FORBIDDEN", message


FORM = (
    "query($n: String!, $c: Channel!) { ratingForm(caseNo: $n, channel: $c) "
    "{ caseNo alreadyRated levels { level reasonRequired tags { code } } } }"
)


async def pad_form(api: Api, pad_token: str, case_no: str) -> dict[str, Any]:
    response = await api.client.post(
        "/graphql",
        json={"query": FORM, "variables": {"n": case_no, "c": "PAD"}},
        headers={"Authorization": f"Pad {pad_token}"},
    )
    body: dict[str, Any] = response.json()
    return body


async def test_a_pad_gets_the_form_of_the_cases_it_may_rate(api: Api) -> None:
    """The pad renders its levels from ratingForm, for exactly the cases it may rate: those
    completed at its window within HCP_PAD_RATING_MINUTES; anything else is NOT_FOUND."""
    await seed_window_cases(api, "F")
    pad_token = (await pair(api))["data"]["pairPad"]["token"]
    form = (await pad_form(api, pad_token, "F-1"))["data"]["ratingForm"]
    assert form["caseNo"] == "F-1" and form["alreadyRated"] is False
    assert [lv["level"] for lv in form["levels"]] == [5, 4, 3, 2, 1]
    dissatisfied = next(lv for lv in form["levels"] if lv["level"] == 2)
    assert dissatisfied["reasonRequired"] is True
    assert "online-not-working" not in {t["code"] for t in dissatisfied["tags"]}  # online only
    for case_no in ("F-2", "F-3", "F-NONE"):  # another window; completed days ago; no such case
        refused = await pad_form(api, pad_token, case_no)
        assert refused["errors"][0]["extensions"]["code"] == "NOT_FOUND", case_no
    await pad_rate(api, pad_token, "F-1")
    assert (await pad_form(api, pad_token, "F-1"))["data"]["ratingForm"]["alreadyRated"] is True
    api.clock.advance(hours=1)
    late = await pad_form(api, pad_token, "F-1")
    assert late["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await pad_form(api, "not-a-pad", "F-1"))["errors"][0]["extensions"][
        "code"
    ] == "UNAUTHENTICATED"
