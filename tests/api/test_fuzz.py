"""Hostile input never becomes a server error: no 5xx, no masked INTERNAL error, and no
error message that quotes a person's ID number, phone or name.

hypothesis-graphql builds queries and mutations over every root field of the committed
schema.graphql; the scalar positions get hostile values (huge strings, control characters,
NUL, lone surrogates, RTL marks, SQL and script snippets, out-of-range numbers) and the
operations go through the real HTTP app as every role and anonymously, with the values
inline or as variables, some of them of the wrong type. Targeted cases start from valid
operations (an ingest, a rating, a reveal, the lookups) carrying hostile free text, some
broken in a few places, so the hostile values reach the database.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any

import graphql
import httpx
import pytest
from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    NameNode,
    OperationDefinitionNode,
    VariableDefinitionNode,
    VariableNode,
)
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, queries

from tests.conftest import ROOT, Api, token
from tests.factories import CHEN, COMPANY, INGEST, PEOPLE, WANG, case_input, person_id

SCHEMA = graphql.build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))
SEEDED = ("FZ-1", "FZ-2", "FZ-3", "FZ-4", "FZ-5")
# A fictional person of the fuzz's own: the values it sends where a name, ID number or phone
# could go, so no message may quote them. (The run's log check looks for the seeded people,
# whose data only ever goes in as an applicant's, encrypted.)
CANARY = ("赵金凤", person_id(77), "13900000077")
PERSONAL = (*CANARY, *(person[key] for person in PEOPLE for key in ("idNumber", "phone", "name")))

# Values the seeded data answers to, so generated operations reach the database paths.
REALISTIC = (
    *SEEDED,
    "B-FZ",
    "YJS-FZ",
    "W-01",
    "S-01",
    "D-SCJG",
    "M-SCJG-001",
    "330283",
    "2026-11-18T09:30:00+08:00",
    *CANARY,
)
HOSTILE = (
    "",
    " ",
    "'; DROP TABLE case_record; --",
    "' OR '1'='1",
    "FZ-1' OR 1=1 --",
    '" OR ""="',
    "1; SELECT pg_sleep(10) --",
    "%",
    "_",
    "\\",
    "<script>alert(document.cookie)</script>",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "{{7*7}}${7*7}",
    "${jndi:ldap://example.invalid/a}",
    "../../etc/passwd",
    "\x00",
    "FZ-1\x00",
    "\x1b[2J\r\n\t\x07\x7f\x85",
    "\u2028\u2029\ufeff\u200b",
    "\u202e\u200fFZ-1",
    "\u202eFDP.exe",
    "\ud800",
    "\udfff\ud83d",
    "FZ-\udc001",
    "😀👨‍👩‍👧",
    "Ａ０１２",
    "2026-02-30T25:61:00+08:00",
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+14:00",
    "2026-11-18T09:30:00",
    "2026-11-18T09:30:00+99:00",
    "-1",
    "1e309",
    "NaN",
    "99999999999999999999999999",
    "null",
    "true",
    "[]",
    "{}",
    "eyJhbGciOiJub25lIn0.e30.",
    "version: 1\nrules: [",
    "!!python/object/apply:os.system ['true']",
    "&a [*a, *a, *a, *a]",
)
HUGE_UNITS = ("A", "王", "\x00", "\u202e", "'; DROP TABLE case_record; --", "<script>")
LARGE_INTS = (2**31, -(2**31) - 1, 2**53 + 1, 2**63, -(2**63) - 1, 10**40)
EDGE_INTS = (0, -1, 1, 5, 6, 1000, 1001, 2**31 - 1, -(2**31))

CITIZEN = token("citizen", id_number=WANG["idNumber"], name=WANG["name"])
ROLES: dict[str, str | None] = {
    "anonymous": None,
    "citizen": f"Bearer {CITIZEN}",
    "window_staff": f"Bearer {token('window_staff', staff_code='S-01', department_code='D-SCJG')}",
    "dept_handler": f"Bearer {token('dept_handler', department_code='D-SCJG')}",
    "area_admin": f"Bearer {token('area_admin', region_code='330283')}",
    "policy_staff": f"Bearer {token('policy_staff')}",
    "system": f"Bearer {token('system')}",
    "stray pad": "Pad ' OR '1'='1",
    "garbage": "Bearer <script>alert(1)</script>",
}


def _huge(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


TEXTS: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(REALISTIC),
    st.sampled_from(HOSTILE),
    st.tuples(st.sampled_from(REALISTIC), st.sampled_from(HOSTILE)).map("".join),
    st.text(max_size=24),
    st.builds(_huge, st.sampled_from(HUGE_UNITS), st.integers(1_000, 100_000)),
)
INTS: st.SearchStrategy[int] = st.one_of(
    st.sampled_from(EDGE_INTS), st.integers(-(2**31), 2**31 - 1), st.sampled_from(LARGE_INTS)
)
# ID and DateTime have no input position in the schema today; they are ready for one.
SCALARS: dict[str, st.SearchStrategy[graphql.ValueNode]] = {
    "String": TEXTS.map(lambda text: graphql.StringValueNode(value=text)),
    "ID": st.one_of(
        TEXTS.map(lambda text: graphql.StringValueNode(value=text)),
        INTS.map(lambda number: graphql.IntValueNode(value=str(number))),
    ),
    "DateTime": TEXTS.map(lambda text: graphql.StringValueNode(value=text)),
    # The statistics' periods: real days (reaching the resolver) and anything else.
    "Date": st.one_of(
        st.dates(date(1900, 1, 1), date(2100, 12, 31)).map(
            lambda day: graphql.StringValueNode(value=day.isoformat())
        ),
        TEXTS.map(lambda text: graphql.StringValueNode(value=text)),
    ),
    "Int": INTS.map(lambda number: graphql.IntValueNode(value=str(number))),
}
# Keys an input object does not have: near misses of real field names, and anything else.
KEYS: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(["phon", "caseNumber", "idnumber", "Name", "comments", "__typename"]),
    TEXTS,
)
# Anything JSON can carry, for variables of the wrong type.
JUNK: st.SearchStrategy[Any] = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        INTS,
        st.floats(),
        TEXTS,
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXTS, inner, max_size=3),
    max_leaves=6,
)

# Bodies that are not JSON, or not UTF-8.
RAW_BODIES: st.SearchStrategy[bytes] = st.one_of(
    TEXTS.map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"\xff", b'"\xff"', b'{"query": "{ viewer { role } }\xff"}', b"\x00"]),
    st.binary(max_size=64),
)


def _operations(mode: Mode) -> st.SearchStrategy[DocumentNode]:
    def as_document(document: DocumentNode) -> DocumentNode:
        return document

    options: dict[str, Any] = {"custom_scalars": SCALARS, "print_ast": as_document, "mode": mode}
    return st.one_of(queries(SCHEMA, **options), mutations(SCHEMA, **options))


OPERATIONS = st.one_of(_operations(Mode.POSITIVE), _operations(Mode.NEGATIVE))


def _hoisted(document: DocumentNode) -> tuple[DocumentNode, dict[str, Any]]:
    """The same operation with every root argument passed as a variable of its declared type
    (arguments the schema does not know stay inline)."""
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    root = SCHEMA.get_root_type(operation.operation)
    assert root is not None
    definitions: list[VariableDefinitionNode] = []
    values: dict[str, Any] = {}

    def hoist(field: FieldNode) -> FieldNode:
        declared = root.fields[field.name.value].args if field.name.value in root.fields else {}
        arguments = []
        for argument in field.arguments:
            if argument.name.value not in declared:
                arguments.append(argument)
                continue
            variable = VariableNode(name=NameNode(value=f"v{len(definitions)}"))
            type_node = graphql.parse_type(str(declared[argument.name.value].type))
            definitions.append(VariableDefinitionNode(variable=variable, type=type_node))
            values[variable.name.value] = graphql.value_from_ast_untyped(argument.value)
            arguments.append(ArgumentNode(name=argument.name, value=variable))
        return dataclasses.replace(field, arguments=tuple(arguments))

    selections = tuple(
        hoist(node) if isinstance(node, FieldNode) else node
        for node in operation.selection_set.selections
    )
    hoisted = dataclasses.replace(
        operation,
        variable_definitions=tuple(definitions),
        selection_set=dataclasses.replace(operation.selection_set, selections=selections),
    )
    return DocumentNode(definitions=(hoisted,)), values


@st.composite
def _corrupted(draw: st.DrawFn, value: Any) -> Any:
    """The value with some of its parts, or all of it, replaced by junk of any type."""
    if draw(st.integers(0, 4)) == 0:
        return draw(JUNK)
    if isinstance(value, dict):
        broken = {key: draw(_corrupted(item)) for key, item in value.items()}
        if draw(st.booleans()):
            broken[draw(KEYS)] = draw(JUNK)
        return broken
    if isinstance(value, list):
        return [draw(_corrupted(item)) for item in value]
    return value


class Call:
    """One HTTP request: a JSON body (or raw bytes) and who sends it."""

    def __init__(self, body: Any, role: str, raw: bytes | None = None) -> None:
        self.body, self.role, self.raw = body, role, raw

    def __repr__(self) -> str:  # a falsifying example may hold 100 KB strings
        shown = repr(self.raw) if self.raw is not None else json.dumps(self.body)
        return f"Call(role={self.role!r}, body={shown[:2000]})"


# Mostly well-formed requests, so the operations get to run.
SHAPES = ("operation",) * 17 + ("operation name", "junk body", "raw body")


@st.composite
def generated_calls(draw: st.DrawFn) -> Call:
    document = draw(OPERATIONS)
    role = draw(st.sampled_from(sorted(ROLES)))
    variables: Any = {}
    if draw(st.booleans()):
        document, variables = _hoisted(document)
        if draw(st.booleans()):
            variables = draw(_corrupted(variables))
    body: Any = {"query": graphql.print_ast(document), "variables": variables}
    shape = draw(st.sampled_from(SHAPES))
    if shape == "operation name":
        # Strawberry names an unknown operation in its 400; a client's own operation name
        # is not personal data, so it is drawn from the hostile values only.
        body["operationName"] = draw(st.sampled_from(HOSTILE))
    elif shape == "junk body":
        body = draw(JUNK)
    elif shape == "raw body":
        return Call(body=None, role=role, raw=draw(RAW_BODIES))
    return Call(body=body, role=role)


SUBMIT = """
mutation($input: RatingInput!) {
  submitRating(input: $input) {
    __typename
    ... on RatingAccepted { rating { id level tags comment } appliesTo }
    ... on RatingRejected { code message }
  }
}
"""
RATING_FORM = """
query($n: String!, $c: Channel!) { ratingForm(caseNo: $n, channel: $c) { caseNo alreadyRated } }
"""
CASE = "query($n: String!) { case(caseNo: $n) { caseNo applicant { name idNumber phone } } }"
MY_CASES = """
query($first: Int!, $after: String, $status: RatingStatus) {
  myCases(first: $first, after: $after, status: $status) {
    totalCount nodes { caseNo } pageInfo { endCursor }
  }
}
"""
AUDIT_LOG = """
query($first: Int!, $after: String) {
  auditLog(first: $first, after: $after) { nodes { caseNo reason } pageInfo { endCursor } }
}
"""
PAIR_PAD = "mutation($w: String!) { pairPad(windowCode: $w) { windowCode } }"
PUBLISH = """
mutation($y: String!) {
  publishRules(yaml: $y) { __typename ... on RulesRejected { code problems { message } } }
}
"""
REVEAL = """
mutation($n: String!, $r: String!) {
  revealContact(caseNo: $n, reason: $r) { __typename ... on RevealRefused { code message } }
}
"""


def _case_template(case_no: str) -> dict[str, Any]:
    return case_input(
        case_no,
        CHEN,
        batchNo="B-FZ",
        integratedServiceNo="YJS-FZ",
        integratedServiceName="开办企业一件事",
    )


@st.composite
def _broken(draw: st.DrawFn, value: dict[str, Any]) -> dict[str, Any]:
    """A valid input with up to three fields (nested ones too) made hostile, or unknown
    fields added."""
    broken = json.loads(json.dumps(value))
    for _ in range(draw(st.integers(0, 3))):
        target = broken
        if isinstance(target.get("applicant"), dict) and draw(st.booleans()):
            target = target["applicant"]
        if not target or draw(st.integers(0, 3)) == 0:
            target[draw(KEYS)] = draw(TEXTS)
        else:
            target[draw(st.sampled_from(sorted(target)))] = draw(st.one_of(TEXTS, TEXTS, JUNK))
    return broken


@st.composite
def targeted_calls(draw: st.DrawFn) -> Call:
    """Valid operations with hostile free text, broken in a few places or not at all, sent
    as the role that gets furthest."""
    kind = draw(st.sampled_from(["ingest", "rate", "reveal", "lookup"]))
    text = draw(TEXTS)
    if kind == "ingest":
        numbers = st.sampled_from(("FZ-10", "FZ-11", "FZ-12", *SEEDED))
        cases = draw(st.lists(numbers.map(_case_template).flatmap(_broken), min_size=1, max_size=3))
        return Call(body={"query": INGEST, "variables": {"cases": cases}}, role="system")
    if kind == "rate":
        level = draw(st.one_of(st.integers(1, 5), INTS))
        channel = draw(st.sampled_from(["APP", "HOTLINE", "PAD"]))
        rating = {"level": level, "channel": channel, "caseNo": draw(st.sampled_from(SEEDED))}
        tags = draw(st.sampled_from([[], ["poor-attitude"], [text]]))
        rating |= {"tags": tags, "comment": text, "clientRequestId": draw(st.none() | TEXTS)}
        body = {"query": SUBMIT, "variables": {"input": draw(_broken(rating))}}
        return Call(body=body, role=draw(st.sampled_from(["citizen", "window_staff", "stray pad"])))
    if kind == "reveal":
        variables = {"n": draw(st.one_of(st.sampled_from(SEEDED), TEXTS)), "r": text}
        return Call(body={"query": REVEAL, "variables": variables}, role="dept_handler")
    query, variables = {
        "form": (RATING_FORM, {"n": text, "c": draw(st.sampled_from(["APP", "PAD", text]))}),
        "case": (CASE, {"n": text}),
        "my": (MY_CASES, {"first": draw(INTS), "after": text, "status": None}),
        "audit": (AUDIT_LOG, {"first": draw(INTS), "after": text}),
        "pad": (PAIR_PAD, {"w": text}),
        "publish": (PUBLISH, {"y": text}),
    }[draw(st.sampled_from(["form", "case", "my", "audit", "pad", "publish"]))]
    role = draw(st.sampled_from(sorted(ROLES)))
    return Call(body={"query": query, "variables": variables}, role=role)


def _values(value: Any, key: str) -> Iterator[Any]:
    """Every value under `key` anywhere in a response body."""
    if isinstance(value, dict):
        for name, item in value.items():
            if name == key:
                yield item
            yield from _values(item, key)
    elif isinstance(value, list):
        for item in value:
            yield from _values(item, key)


def assert_no_server_error(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text[:2000]
    event(f"HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        assert response.status_code != 200, response.text[:2000]
        body = {"message": response.text}
    errors = body.get("errors") if isinstance(body, dict) else None
    for error in errors or []:
        code = error.get("extensions", {}).get("code")
        assert code not in (None, "INTERNAL"), error
        event(f"error {code}")
    for typename in set(_values(body, "__typename")):
        event(f"answer {typename}")
    for message in _values(body, "message"):
        leaked = [value for value in PERSONAL if value in str(message)]
        assert not leaked, f"message quotes {leaked}: {str(message)[:500]}"


async def send(api: Api, call: Call) -> httpx.Response:
    authorization = ROLES[call.role]
    headers = {"content-type": "application/json"}
    if authorization is not None:
        headers["authorization"] = authorization
    # ASCII JSON carries lone surrogates as \uXXXX escapes, which a UTF-8 body cannot.
    content = call.raw if call.raw is not None else json.dumps(call.body).encode("ascii")
    return await api.client.post("/graphql", content=content, headers=headers)


@pytest.fixture
async def seeded(api: Api) -> AsyncIterator[Api]:
    """Cases of every shape, and a bad rating whose callback lets staff reveal a phone."""
    cases = [
        case_input("FZ-1"),
        case_input("FZ-2", CHEN, windowCode="W-02", batchNo="B-FZ"),
        case_input("FZ-3", COMPANY, integratedServiceNo="YJS-FZ", integratedServiceName="一件事"),
        case_input("FZ-4", completedAt=None),
        case_input("FZ-5"),
    ]
    body = await api.gql(INGEST, {"cases": cases}, token("system"))
    assert body["data"]["ingestCases"]["acceptedCount"] == len(SEEDED), body
    rating = {"caseNo": "FZ-1", "level": 1, "channel": "APP", "tags": ["poor-attitude"]}
    body = await api.gql(SUBMIT, {"input": rating}, CITIZEN)
    assert body["data"]["submitRating"]["__typename"] == "RatingAccepted", body
    yield api


FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@settings(FUZZ, max_examples=800)
@given(call=generated_calls())
async def test_generated_operations_never_fail_on_the_server(seeded: Api, call: Call) -> None:
    assert_no_server_error(await send(seeded, call))


@settings(FUZZ, max_examples=800)
@given(call=targeted_calls())
async def test_valid_operations_with_hostile_parts_never_fail_on_the_server(
    seeded: Api, call: Call
) -> None:
    assert_no_server_error(await send(seeded, call))
