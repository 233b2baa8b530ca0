"""Pairing an evaluator pad with a short code: hall staff create a six-digit code for a
window of their department, the pad (nobody signed in) claims it once for a long-lived
device credential, and staff list and revoke the window's pads; a revoked pad stops at once."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest
from websockets.asyncio.client import connect

from models.db import connection, execute, fetch
from resolvers.subscriptions import window_events
from tests.api.test_pads import STAFF, pad_rate, seed_window_cases
from tests.conftest import Api, token
from tests.factories import case_input

CREATE = """mutation($w: String!, $l: String) {
  createPadPairingCode(windowCode: $w, label: $l) { windowCode code expiresAt pairUrl qrSvg } }"""
CLAIM = """mutation($w: String!, $c: String!) {
  claimPadPairing(windowCode: $w, code: $c) {
    __typename
    ... on PadPaired { token windowCode expiresAt }
    ... on PadPairingRefused { code message } } }"""
PADS = """query($w: String!) {
  pads(windowCode: $w) { id windowCode label pairedAt pairedBy lastSeenAt revokedAt } }"""
REVOKE = "mutation($id: ID!) { revokePad(id: $id) { id label revokedAt } }"
OTHER_DEPARTMENT = token("window_staff", staff_code="S-05", department_code="D-RSB")


async def create(
    api: Api, window: str = "W-01", bearer: str = STAFF, label: str | None = None
) -> dict[str, Any]:
    body = await api.gql(CREATE, {"w": window, "l": label}, bearer)
    assert "errors" not in body, body
    made: dict[str, Any] = body["data"]["createPadPairingCode"]
    return made


async def claim(api: Api, code: str, window: str = "W-01") -> dict[str, Any]:
    body = await api.gql(CLAIM, {"w": window, "c": code})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["claimPadPairing"]
    return result


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_a_pad_claims_the_code_staff_created_once_for_a_long_lived_credential(
    api: Api,
) -> None:
    await seed_window_cases(api, "Q")
    made = await create(api, label="W-01 门口评价器")
    assert re.fullmatch(r"\d{6}", made["code"])
    assert made["expiresAt"] == "2026-11-20T20:10:00+08:00"  # ten minutes
    assert made["pairUrl"].endswith(f"/pad/W-01#code={made['code']}")
    assert made["qrSvg"].startswith("<svg") and "评价器配对二维码" in made["qrSvg"]

    paired = await claim(api, made["code"])
    assert paired["__typename"] == "PadPaired" and paired["windowCode"] == "W-01"
    assert paired["expiresAt"].startswith("2027-11-20")  # HCP_PAD_DAYS: 365
    accepted = await pad_rate(api, paired["token"], "Q-1")
    assert accepted["data"]["submitRating"]["__typename"] == "RatingAccepted", accepted

    again = await claim(api, made["code"])
    assert again["code"] == "PAIRING_CODE_INVALID" and again["message"]
    [pad] = (await api.gql(PADS, {"w": "W-01"}, STAFF))["data"]["pads"]
    assert pad["label"] == "W-01 门口评价器" and pad["pairedBy"] == "S-02"
    assert pad["lastSeenAt"] == "2026-11-20T20:00:00+08:00" and pad["revokedAt"] is None
    # Neither the code nor the credential is stored, only their hashes.
    stored = await fetch(connection(), "SELECT * FROM pad_pairing_code")
    stored += await fetch(connection(), "SELECT * FROM pad_session")
    text = json.dumps(stored, default=str)
    assert made["code"] not in text and paired["token"] not in text


async def test_pads_get_names_of_their_own_and_last_seen_is_kept_to_the_minute(api: Api) -> None:
    await seed_window_cases(api, "N")
    first = await claim(api, (await create(api))["code"])
    await claim(api, (await create(api))["code"])
    labels = [p["label"] for p in (await api.gql(PADS, {"w": "W-01"}, STAFF))["data"]["pads"]]
    assert labels == ["W-01 评价器 2", "W-01 评价器 1"]
    api.clock.advance(seconds=30)
    await pad_rate(api, first["token"], "N-1")
    api.clock.advance(seconds=40)
    await pad_rate(api, first["token"], "N-1")
    pads = (await api.gql(PADS, {"w": "W-01"}, STAFF))["data"]["pads"]
    assert pads[1]["lastSeenAt"] == "2026-11-20T20:00:30+08:00"  # not a minute since
    api.clock.advance(seconds=61)
    await pad_rate(api, first["token"], "N-1")
    pads = (await api.gql(PADS, {"w": "W-01"}, STAFF))["data"]["pads"]
    assert pads[1]["lastSeenAt"] == "2026-11-20T20:02:11+08:00"
    assert pads[0]["lastSeenAt"] is None


async def test_a_wrong_expired_replaced_or_other_windows_code_pairs_nothing(api: Api) -> None:
    await seed_window_cases(api, "R")
    made = await create(api)
    assert (await claim(api, wrong(made["code"])))["code"] == "PAIRING_CODE_INVALID"
    assert (await claim(api, made["code"], window="W-02"))["code"] == "PAIRING_CODE_INVALID"
    assert (await claim(api, "not a code"))["code"] == "PAIRING_CODE_INVALID"
    assert (await claim(api, made["code"], window="W" * 65))["code"] == "PAIRING_CODE_INVALID"
    newer = await create(api)
    assert (await claim(api, made["code"]))["code"] == "PAIRING_CODE_INVALID"
    api.clock.advance(minutes=10, seconds=1)
    expired = await claim(api, newer["code"])
    assert expired["code"] == "PAIRING_CODE_EXPIRED", expired
    assert (await api.gql(PADS, {"w": "W-01"}, STAFF))["data"]["pads"] == []


async def test_guessing_burns_the_code_and_then_the_window_waits(api: Api) -> None:
    await seed_window_cases(api, "G")
    made = await create(api)
    for _ in range(5):
        assert (await claim(api, wrong(made["code"])))["code"] == "PAIRING_CODE_INVALID"
    burnt = await claim(api, made["code"])
    assert burnt["code"] == "PAIRING_RATE_LIMITED" and "重新生成" in burnt["message"]
    # Thirty claims at a window within the hour, across codes: then even a right one waits.
    for _ in range(4):
        fresh = await create(api)
        for _ in range(6):
            await claim(api, wrong(fresh["code"]))
    last = await create(api)
    assert (await claim(api, last["code"]))["code"] == "PAIRING_RATE_LIMITED"
    assert (await api.gql(PADS, {"w": "W-01"}, STAFF))["data"]["pads"] == []
    api.clock.advance(hours=1)
    later = await create(api)
    assert (await claim(api, later["code"]))["__typename"] == "PadPaired"


async def test_staff_of_another_department_neither_pair_list_nor_revoke(api: Api) -> None:
    await seed_window_cases(api, "D")
    paired = await claim(api, (await create(api))["code"])
    [pad] = (await api.gql(PADS, {"w": "W-01"}, STAFF))["data"]["pads"]
    for query, variables in (
        (CREATE, {"w": "W-01", "l": None}),
        (PADS, {"w": "W-01"}),
        (REVOKE, {"id": pad["id"]}),
    ):
        body = await api.gql(query, variables, OTHER_DEPARTMENT)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", query
    citizen = token("citizen", id_number="110105199001011234", name="王")
    body = await api.gql(CREATE, {"w": "W-01", "l": None}, citizen)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await api.gql(CREATE, {"w": "W-NONE", "l": None}, STAFF))["errors"][0]["extensions"][
        "code"
    ] == "FORBIDDEN"
    kept = await pad_rate(api, paired["token"], "D-1")
    assert kept["data"]["submitRating"]["__typename"] == "RatingAccepted", kept
    assert (await api.gql(REVOKE, {"id": "999999"}, STAFF))["data"]["revokePad"] is None


async def test_a_revoked_pad_is_refused_at_once_and_its_subscription_ends(
    api: Api, live_url: str
) -> None:
    await seed_window_cases(api, "V")
    paired = await claim(api, (await create(api))["code"])
    pad = f"Pad {paired['token']}"
    [device] = (await api.gql(PADS, {"w": "W-01"}, STAFF))["data"]["pads"]
    query = 'subscription { windowEvents(windowCode: "W-01") { caseNo } }'
    async with connect(f"ws://{live_url}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": pad}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        await asyncio.sleep(0.2)  # readiness, not timing: the subscribe is not acknowledged
        revoked = (await api.gql(REVOKE, {"id": device["id"]}, STAFF))["data"]["revokePad"]
        assert revoked["revokedAt"] == "2026-11-20T20:00:00+08:00"
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED", message
    refused = await pad_rate(api, paired["token"], "V-1")
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    [listed] = (await api.gql(PADS, {"w": "W-01"}, STAFF))["data"]["pads"]
    assert listed["revokedAt"] == revoked["revokedAt"]


async def listening(live_url: str, pad_token: str) -> Any:
    """A windowEvents subscription of W-01 opened with the pad's credential."""
    ws = await connect(f"ws://{live_url}/graphql", subprotocols=["graphql-transport-ws"])
    payload = {"Authorization": f"Pad {pad_token}"}
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    query = 'subscription { windowEvents(windowCode: "W-01") { caseNo } }'
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
    return ws


async def test_revoking_one_pad_leaves_the_windows_other_pad_listening(
    api: Api, live_url: str
) -> None:
    await api.ingest(case_input("K-0"))
    kept = await claim(api, (await create(api))["code"])
    gone = await claim(api, (await create(api))["code"])
    pads = (await api.gql(PADS, {"w": "W-01"}, STAFF))["data"]["pads"]
    kept_ws = await listening(live_url, kept["token"])
    gone_ws = await listening(live_url, gone["token"])
    try:
        await asyncio.sleep(0.2)  # readiness, not timing: the subscribe is not acknowledged
        await api.gql(REVOKE, {"id": pads[0]["id"]}, STAFF)  # the newest: `gone`
        ended = json.loads(await asyncio.wait_for(gone_ws.recv(), timeout=5))
        assert "UNAUTHENTICATED" in json.dumps(ended), ended
        await api.ingest(case_input("K-1", completedAt="2026-11-20T19:58:00+08:00"))
        heard = json.loads(await asyncio.wait_for(kept_ws.recv(), timeout=5))
        assert heard["payload"]["data"]["windowEvents"] == {"caseNo": "K-1"}, heard
    finally:
        await kept_ws.close()
        await gone_ws.close()


async def test_a_pad_revoked_while_its_event_is_lost_is_stopped_by_the_recheck(
    api: Api, live_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(window_events, "RECHECK_SECONDS", 0.2)
    await api.ingest(case_input("L-0"))
    paired = await claim(api, (await create(api))["code"])
    ws = await listening(live_url, paired["token"])
    try:
        await asyncio.sleep(0.5)  # quiet ticks: the pairing still holds, nothing is sent
        # Revoked with no event on the topic, as when Redis lost the publish.
        await execute(connection(), "UPDATE pad_session SET revoked_at = expires_at")
        ended = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
        assert "UNAUTHENTICATED" in json.dumps(ended), ended
    finally:
        await ws.close()
