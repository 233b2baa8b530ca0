"""GraphQL over HTTP at /graphql: the media type a client asks for decides how request
errors are answered, and JSON the service cannot take is refused as bad input (never an
internal error), on every way in: POST bodies, GET `variables`, websocket messages."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import Api, citizen, token
from tests.factories import INGEST, WANG, case_input

GRAPHQL_RESPONSE = "application/graphql-response+json"
SYSTEM = {"Authorization": f"Bearer {token('system')}"}
CASE = "query($n: String!) { case(caseNo: $n) { caseNo } }"

# Requests that fail before execution starts: the GraphQL-over-HTTP spec's request errors.
REQUEST_ERRORS = {
    "syntax": {"query": "{ viewer { role "},
    "validation": {"query": "{ noSuchField }"},
    "variable coercion": {"query": CASE, "variables": {"n": 42}},
    "too many aliases": {
        "query": "{ " + " ".join(f"a{i}: viewer {{ role }}" for i in range(16)) + " }"
    },
    "missing variable": {"query": CASE},
}


async def _post(api: Api, body: Any, accept: str | None) -> httpx.Response:
    headers = {**SYSTEM, "content-type": "application/json"}
    if accept is not None:
        headers["accept"] = accept
    return await api.client.post("/graphql", content=json.dumps(body), headers=headers)


@pytest.mark.parametrize(
    "accept", [GRAPHQL_RESPONSE, f"{GRAPHQL_RESPONSE}, application/json;q=0.9"]
)
async def test_a_client_asking_for_graphql_response_json_gets_it(api: Api, accept: str) -> None:
    response = await _post(api, {"query": "{ viewer { role } }"}, accept)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json() == {"data": {"viewer": {"role": "system"}}}


@pytest.mark.parametrize("name", sorted(REQUEST_ERRORS))
async def test_request_errors_are_400_without_data_in_graphql_response_json(
    api: Api, name: str
) -> None:
    response = await _post(api, REQUEST_ERRORS[name], GRAPHQL_RESPONSE)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT"


@pytest.mark.parametrize("accept", ["application/json", "*/*", None])
@pytest.mark.parametrize("name", sorted(REQUEST_ERRORS))
async def test_clients_of_application_json_keep_200_for_request_errors(
    api: Api, name: str, accept: str | None
) -> None:
    response = await _post(api, REQUEST_ERRORS[name], accept)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT"


async def test_an_error_during_execution_is_200_in_graphql_response_json(api: Api) -> None:
    """`case` is non-null: NOT_FOUND nulls all of data, but the operation did execute."""
    response = await _post(api, {"query": CASE, "variables": {"n": "NO-SUCH"}}, GRAPHQL_RESPONSE)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, "application/json"])
async def test_json_that_does_not_parse_is_a_graphql_error_response(api: Api, accept: str) -> None:
    headers = {**SYSTEM, "content-type": "application/json", "accept": accept}
    response = await api.client.post("/graphql", content=b'{"query": ', headers=headers)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(accept)
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_INPUT"


DEEP = 100_000


@pytest.mark.parametrize(
    "body",
    [
        b"[" * DEEP,
        b'{"query": "{ viewer { role } }", "variables": {"v": ' + b"[" * DEEP + b"}",
        b'{"query": "{ viewer { role } }", "variables": {"v": '
        + b'{"a":' * DEEP
        + b"1"
        + b"}" * DEEP
        + b"}}",
    ],
    ids=["bare", "in-variables-unclosed", "in-variables-closed"],
)
async def test_deeply_nested_json_is_bad_input(api: Api, body: bytes) -> None:
    headers = {**SYSTEM, "content-type": "application/json"}
    response = await api.client.post("/graphql", content=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_INPUT"


async def test_deeply_nested_get_variables_are_bad_input(api: Api) -> None:
    response = await api.client.get(
        "/graphql",
        params={"query": "{ viewer { role } }", "variables": "[" * 5000},
        headers=SYSTEM,
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_INPUT"


# UTF-8 bytes of a lone surrogate (U+D800): not UTF-8, though Python's decoder can be told
# to let them through (json.loads on bytes does).
RAW_SURROGATE = b"\xed\xa0\x80"
RATE = (
    "mutation($i: RatingInput!) { submitRating(input: $i) { "
    "... on RatingRejected { code } ... on RatingAccepted { appliesTo } } }"
)
WINDOW = "query($n: String!) { windowInfo(code: $n) { name } }"
RAW_CASES: dict[str, tuple[str, dict[str, Any], str]] = {
    "case": (CASE, {"n": "W-@@"}, token("system")),
    "windowInfo": (WINDOW, {"n": "W-@@"}, token("system")),
    "submitRating": (
        RATE,
        {"i": {"caseNo": "R-1", "level": 1, "channel": "APP", "comment": "态度@@"}},
        citizen(WANG),
    ),
    "submitRating caseNo": (
        RATE,
        {"i": {"caseNo": "R-@@", "level": 5, "channel": "APP"}},
        citizen(WANG),
    ),
    "ingestCases": (INGEST, {"cases": [case_input("R-@@")]}, token("system")),
}


@pytest.mark.parametrize("name", sorted(RAW_CASES))
async def test_raw_surrogate_bytes_are_refused_like_invalid_utf8(api: Api, name: str) -> None:
    await api.ingest(case_input("R-1"))
    query, variables, bearer = RAW_CASES[name]
    body = json.dumps({"query": query, "variables": variables}, ensure_ascii=False).encode()
    assert b"@@" in body
    headers = {"Authorization": f"Bearer {bearer}", "content-type": "application/json"}
    response = await api.client.post(
        "/graphql", content=body.replace(b"@@", RAW_SURROGATE), headers=headers
    )
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_INPUT"


async def test_other_unicode_text_still_passes(api: Api) -> None:
    """Checking the bytes strictly keeps every real character: CJK, astral, BOM-less."""
    body = json.dumps(
        {"query": CASE, "variables": {"n": "案-😀-\u2028"}}, ensure_ascii=False
    ).encode()
    headers = {**SYSTEM, "content-type": "application/json"}
    response = await api.client.post("/graphql", content=body, headers=headers)
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "message",
    ["[" * DEEP, '{"type": "connection_init", "payload": ' + '{"a":' * DEEP],
    ids=["bare", "in-payload"],
)
async def test_a_deeply_nested_websocket_message_closes_with_4400(
    live_url: str, message: str
) -> None:
    async with connect(
        f"ws://{live_url}/graphql", subprotocols=["graphql-transport-ws"], max_size=None
    ) as ws:
        await ws.send(message)
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400
