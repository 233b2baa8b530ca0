"""Abusive queries are refused before execution; unexpected failures are masked and coded."""

from __future__ import annotations

import logging

import pytest
from graphql import get_introspection_query

from services import cases
from tests.conftest import Api, token
from tests.factories import INGEST, WANG, case_input


async def test_graphiql_introspection_is_allowed(api: Api) -> None:
    body = await api.gql(get_introspection_query(descriptions=True))
    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_deep_queries_are_refused_introspection_included(api: Api) -> None:
    deep = "{ __schema { types { fields { type " + "{ ofType " * 14 + "{ name }" + " }" * 18
    body = await api.gql(deep)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    assert "depth" in body["errors"][0]["message"]


async def test_fragments_that_double_at_every_link_are_measured_once_each(api: Api) -> None:
    """F0 spreads F1 twice, F1 spreads F2 twice, ...: 2^40 leaves if each spread were
    walked again. Each fragment is measured once, so this is refused at once, for cost."""
    links = 40
    chain = " ".join(f"fragment F{i} on Viewer {{ ...F{i + 1} ...F{i + 1} }}" for i in range(links))
    query = f"{{ viewer {{ ...F0 }} }} {chain} fragment F{links} on Viewer {{ role }}"
    body = await api.gql(query, token=token("system"))
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    assert "cost" in body["errors"][0]["message"]


async def test_alias_floods_are_refused(api: Api) -> None:
    flood = "{ " + " ".join(f"a{i}: viewer {{ role }}" for i in range(50)) + " }"
    body = await api.gql(flood, token=token("system"))
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    assert "aliases" in body["errors"][0]["message"].lower()


FULL_PAGE = """
myCases(first: 100) { totalCount nodes {
  caseNo status servedVia acceptedAt completedAt ratingStatus ratingDeadline regionCode batchNo
  matter { code name type } department { code name } window { code name } staff { code name }
  applicant { kind name idNumber phone }
  effectiveRating { level category }
  ratings { id level category tags comment channel ratedAt effective target
            decision { rulesVersion firedRules } }
} }
"""


async def test_costly_queries_are_refused_and_a_full_page_is_not(api: Api) -> None:
    citizen = token("citizen", id_number=WANG["idNumber"], name=WANG["name"])
    full = await api.gql("{ " + FULL_PAGE + " }", token=citizen)
    assert "errors" not in full, full
    twice = await api.gql("{ a: " + FULL_PAGE + " b: " + FULL_PAGE + " }", token=citizen)
    assert twice["data"] is None
    assert twice["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    assert "cost" in twice["errors"][0]["message"]
    # A page size from a variable counts as the largest page.
    paged = FULL_PAGE.replace("first: 100", "first: $n")
    body = await api.gql(
        "query($n: Int) { a: " + paged + " b: " + paged + " }", {"n": 1}, token=citizen
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT"


async def test_huge_documents_are_refused(api: Api) -> None:
    huge = "{ viewer { " + " ".join(["role"] * 3000) + " } }"
    body = await api.gql(huge, token=token("system"))
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT"


async def test_syntax_errors_are_bad_input(api: Api) -> None:
    body = await api.gql("{ viewer { role ")
    assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT"


@pytest.mark.parametrize(
    "applicant",
    [
        {**WANG, "kind": "ALIEN-13800000001"},
        {**WANG, "phone": 13800000001},
        {"name": "王小明", "kind": "PERSON", "phone": "13800000001"},
        {**WANG, "phon": "13800000001"},
        {**WANG, WANG["idNumber"]: "13800000001"},
    ],
    ids=["enum", "number-for-string", "missing-field", "misspelt-field", "id-number-as-field"],
)
async def test_a_wrongly_typed_variable_does_not_echo_its_value(
    api: Api, applicant: dict[str, object]
) -> None:
    item = case_input("T-1", applicant)
    body = await api.gql(INGEST, {"cases": [item]}, token("system"))
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_INPUT"
    assert "13800000001" not in error["message"]
    assert "王小明" not in error["message"]
    assert WANG["idNumber"] not in error["message"]
    assert "$cases" in error["message"], error["message"]


NUL_TEXT = {
    "case": ("query($t: String!) { case(caseNo: $t) { caseNo } }", "system"),
    "case, inline": ('{ case(caseNo: "W-01\\u0000") { caseNo } }', "system"),
    "ratingForm": (
        "query($t: String!) { ratingForm(caseNo: $t, channel: APP) { caseNo } }",
        "citizen",
    ),
    "pairPad": ("mutation($t: String!) { pairPad(windowCode: $t) { token } }", "window_staff"),
    "submitRating": (
        'mutation($t: String!) { submitRating(input: {level: 5, channel: APP, caseNo: "W-01", '
        "clientRequestId: $t}) { __typename } }",
        "citizen",
    ),
    "revealContact": (
        'mutation($t: String!) { revealContact(caseNo: "W-01", reason: $t) { __typename } }',
        "dept_handler",
    ),
}
CLAIMS = {
    "system": {},
    "citizen": {"id_number": WANG["idNumber"]},
    "window_staff": {"department_code": "D-SCJG"},
    "dept_handler": {"department_code": "D-SCJG"},
}


@pytest.mark.parametrize("operation", sorted(NUL_TEXT))
async def test_text_with_a_nul_is_bad_input_on_every_database(api: Api, operation: str) -> None:
    """PostgreSQL can neither store nor compare NUL; it must not get that far."""
    await api.gql(INGEST, {"cases": [case_input("W-01")]}, token("system"))
    query, role = NUL_TEXT[operation]
    body = await api.gql(query, {"t": "W-01\x00"}, token(role, **CLAIMS[role]))
    assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT", body
    assert "NUL" in body["errors"][0]["message"]


async def test_unexpected_failures_are_masked_and_logged_without_their_text(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(**_kwargs: object) -> None:
        raise RuntimeError(f"connection lost while reading {WANG['idNumber']}")

    monkeypatch.setattr(cases, "my_cases", broken)
    caplog.set_level(logging.INFO)
    bearer = token("citizen", id_number=WANG["idNumber"])
    body = await api.gql("{ myCases { totalCount } }", token=bearer)
    error = body["errors"][0]
    assert error["message"] == "Internal server error."
    assert error["extensions"] == {"code": "INTERNAL"}
    assert "RuntimeError" in caplog.text
    assert "11010519491231002X" not in caplog.text
