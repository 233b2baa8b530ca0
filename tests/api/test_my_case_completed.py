"""`myCaseCompleted(windowCode)`: the scan page of a signed-in citizen hears of their own case
completing at the window they scanned, over graphql-transport-ws, and of nobody else's."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import Api, citizen, token
from tests.factories import CHEN, WANG, case_input

WAIT = (
    "subscription($w: String!) { myCaseCompleted(windowCode: $w) "
    "{ caseNo matter { name } windowCode completedAt ratingStatus ratingDeadline } }"
)
STAFF = token("window_staff", staff_code="S-02", department_code="D-SCJG")


async def listen(ws: ClientConnection, authorization: str | None, window: str) -> None:
    params = {"Authorization": authorization} if authorization else {}
    await ws.send(json.dumps({"type": "connection_init", "payload": params}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(
        json.dumps(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": WAIT, "variables": {"w": window}},
            }
        )
    )


async def next_message(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
    return message


async def test_the_citizen_hears_of_their_own_case_and_of_no_one_elses(
    api: Api, live_url: str
) -> None:
    await api.ingest(case_input("M-0"))
    async with connect(f"ws://{live_url}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        await listen(ws, f"Bearer {citizen(WANG)}", "W-01")
        await asyncio.sleep(0.2)  # readiness, not timing: the subscribe is not acknowledged
        await api.ingest(
            case_input("M-CHEN", CHEN, completedAt="2026-11-20T19:50:00+08:00"),
            case_input("M-W02", windowCode="W-02", windowName="综合受理2号窗口"),
            case_input("M-1", completedAt=None),
        )
        await api.ingest(case_input("M-1", completedAt="2026-11-20T19:55:00+08:00"))
        message = await next_message(ws)
    # The first thing heard is the viewer's own case: 陈美玲's case completed first at the
    # same window and the viewer's case at W-02 were never sent.
    assert message["type"] == "next", message
    assert message["payload"]["data"]["myCaseCompleted"] == {
        "caseNo": "M-1",
        "matter": {"name": "营业执照设立登记"},
        "windowCode": "W-01",
        "completedAt": "2026-11-20T19:55:00+08:00",
        "ratingStatus": "UNRATED",
        "ratingDeadline": message["payload"]["data"]["myCaseCompleted"]["ratingDeadline"],
    }
    assert message["payload"]["data"]["myCaseCompleted"]["ratingDeadline"] > "2026-11-20T19:55"
    assert "M-CHEN" not in json.dumps(message)


async def test_the_other_citizen_hears_nothing_of_it(api: Api, live_url: str) -> None:
    await api.ingest(case_input("N-0"))
    async with connect(f"ws://{live_url}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        await listen(ws, f"Bearer {citizen(CHEN)}", "W-01")
        await asyncio.sleep(0.2)  # readiness, as above
        await api.ingest(case_input("N-1", completedAt="2026-11-20T19:50:00+08:00"))
        await api.ingest(case_input("N-CHEN", CHEN, completedAt="2026-11-20T19:55:00+08:00"))
        message = await next_message(ws)
    assert message["payload"]["data"]["myCaseCompleted"]["caseNo"] == "N-CHEN", message


async def test_only_citizens_wait_and_only_at_a_window_that_exists(api: Api, live_url: str) -> None:
    await api.ingest(case_input("R-0"))
    paired = await api.gql('mutation { pairPad(windowCode: "W-01") { token } }', token=STAFF)
    pad = paired["data"]["pairPad"]["token"]
    for authorization, window, code in (
        (None, "W-01", "UNAUTHENTICATED"),
        (f"Pad {pad}", "W-01", "UNAUTHENTICATED"),
        (f"Bearer {STAFF}", "W-01", "FORBIDDEN"),
        (f"Bearer {token('system')}", "W-01", "FORBIDDEN"),
        (f"Bearer {citizen(WANG)}", "W-NONE", "NOT_FOUND"),
        (f"Bearer {citizen(WANG)}", "W-\x00", "BAD_INPUT"),
    ):
        async with connect(f"ws://{live_url}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            await listen(ws, authorization, window)
            message = await next_message(ws)
        payload = message["payload"]
        errors = payload.get("errors", payload) if isinstance(payload, dict) else payload
        assert errors[0]["extensions"]["code"] == code, (authorization, window, message)
