"""The same API over GET, over graphql-transport-ws, and the health endpoint."""

from __future__ import annotations

import json
import logging
import os

import pytest
from websockets.asyncio.client import connect

from tests.conftest import NO_SWEEP, Api, token


async def test_queries_work_over_get(api: Api) -> None:
    response = await api.client.get(
        "/graphql",
        params={"query": "{ viewer { role } }"},
        headers={"Authorization": f"Bearer {token('system')}"},
    )
    assert response.json() == {"data": {"viewer": {"role": "system"}}}


async def test_mutations_are_refused_over_get(api: Api) -> None:
    response = await api.client.get("/graphql", params={"query": "mutation { ping }"})
    assert response.status_code in (400, 405)


CASE = "query($n: String!) { case(caseNo: $n) { caseNo } }"
SYSTEM_JSON = {"content-type": "application/json", "Authorization": f"Bearer {token('system')}"}


@pytest.mark.parametrize(
    "body",
    [
        b"null",
        b"1",
        b'"{ viewer { role } }"',
        b'{"query": "{ viewer { role \xff } }"}',
        json.dumps({"query": CASE, "variables": {"n": "W-\ud800"}}).encode(),
        json.dumps({"query": CASE, "operationName": "\udfff"}).encode(),
    ],
    ids=["null", "number", "string", "not-utf-8", "lone-surrogate", "lone-surrogate-name"],
)
async def test_a_body_that_is_not_a_json_object_of_text_is_refused(api: Api, body: bytes) -> None:
    response = await api.client.post("/graphql", content=body, headers=SYSTEM_JSON)
    assert response.status_code == 400, response.text


async def test_an_escaped_surrogate_pair_is_text(api: Api) -> None:
    """ASCII-only JSON (Python's default) escapes 😀 as a pair of surrogates: that is text."""
    body = json.dumps({"query": CASE, "variables": {"n": "W-😀"}}).encode()
    assert b"\\ud83d\\ude00" in body
    response = await api.client.post("/graphql", content=body, headers=SYSTEM_JSON)
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_health_reports_the_database(api: Api) -> None:
    response = await api.client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "status": "ok",
        "database": "ok",
        "redis": "off",
        "worker": os.getpid(),
        "sweep": NO_SWEEP,
    }


async def test_operations_run_over_graphql_transport_ws(live_url: str) -> None:
    async with connect(f"ws://{live_url}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        bearer = f"Bearer {token('dept_handler', department_code='D-RSB')}"
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": bearer}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": "{ viewer { role departmentCode } }"},
                }
            )
        )
        message = json.loads(await ws.recv())
        assert message["type"] == "next"
        assert message["payload"]["data"] == {
            "viewer": {"role": "dept_handler", "departmentCode": "D-RSB"}
        }
        assert json.loads(await ws.recv()) == {"id": "1", "type": "complete"}


async def test_a_bad_token_over_websocket_is_unauthenticated(live_url: str) -> None:
    async with connect(f"ws://{live_url}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(
            json.dumps(
                {
                    "type": "connection_init",
                    "payload": {"Authorization": "Bearer forged.token.here"},
                }
            )
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {"id": "1", "type": "subscribe", "payload": {"query": "{ viewer { role } }"}}
            )
        )
        message = json.loads(await ws.recv())
        errors = message["payload"]
        errors = errors.get("errors", errors) if isinstance(errors, dict) else errors
        assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_access_log_leaves_out_query_strings(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hcp.access")
    variables = json.dumps({"n": "11010519491231002X"})
    await api.client.get(
        "/graphql",
        params={
            "query": "query($n: String!) { case(caseNo: $n) { caseNo } }",
            "variables": variables,
        },
    )
    lines = [r.getMessage() for r in caplog.records if r.name == "hcp.access"]
    assert lines and lines[-1].startswith("GET /graphql 200")
    assert "11010519491231002X" not in caplog.text.replace("http://hcp.test", "")
