"""The access matrix in docs/access.md is what the API does: every role (and anonymous
callers and a paired pad) against every query and mutation and the personal fields,
including another department's and another region's cases. The document is the
specification; this test runs each cell on SQLite and PostgreSQL and compares."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count
from typing import Any

from websockets.asyncio.client import connect

from models.db import connection, fetch
from models.reference import Department, Hall, Region, Staff, StaffWindow, Window
from rules import Engine, parse
from services.sweep_deadlines import sweep
from tests.conftest import ROOT, Api, token
from tests.factories import (
    CHEN,
    INGEST,
    WANG,
    case_input,
    other_department_case,
    other_region_case,
)

DOC = ROOT / "docs" / "access.md"
RULES = (ROOT / "rules.yaml").read_text(encoding="utf-8")
# Stands for the id of C-1's reminder call in an operation's variables, once it is seeded.
C1_CALL = "<the id of C-1's reminder call>"
# Stands for the id of the stored version of rules.yaml, once it is published.
VERSION = "<the id of the stored rules.yaml>"


@dataclass(frozen=True)
class Operation:
    query: str
    variables: dict[str, Any]
    outcome: Callable[[Any], str]
    # Run over graphql-transport-ws: the first thing the subscription sends decides the cell.
    subscription: bool = False


def _ok(value: Any) -> str:
    return "null" if value is None else "ok"


def _union(value: Any) -> str:
    if value is None:
        return "null"
    if "code" in value:
        return str(value["code"])
    return "ok"


# The statistics' period: the fixture's year. `ok` when some figure is there, `null` none.
YEAR = '{from: "2026-01-01", to: "2026-12-31"}'


def _rows(key: str) -> Callable[[Any], str]:
    return lambda value: "ok" if value[key] else "null"


def _listed(value: Any) -> str:
    return "ok" if value["nodes"] else "null"


def _codes(value: Any) -> str:
    return " ".join(node["code"] for node in value["nodes"]) or "null"


def _personal(value: Any) -> str:
    shown = value["applicant"]
    if shown == {"name": WANG["name"], "idNumber": WANG["idNumber"], "phone": WANG["phone"]}:
        return "full"
    if all(v is None for v in shown.values()):
        return "hidden"
    assert all("*" in v for v in shown.values() if v is not None), shown
    return "masked"


CASE = "query($n: String!) { case(caseNo: $n) { caseNo } }"
OPERATIONS = {
    "viewer": Operation("{ viewer { role } }", {}, _ok),
    "myCases": Operation("{ myCases { totalCount } }", {}, _ok),
    "myCases (TO_RATE)": Operation(
        "{ myCases(tab: TO_RATE) { totalCount counts { toRate } } }", {}, _ok
    ),
    "case (W-01)": Operation(CASE, {"n": "W-01"}, _ok),
    "case (other department, C-1)": Operation(CASE, {"n": "C-1"}, _ok),
    "case (other region, E-1)": Operation(CASE, {"n": "E-1"}, _ok),
    "case.applicant (W-01)": Operation(
        "query($n: String!) { case(caseNo: $n) { applicant { name idNumber phone } } }",
        {"n": "W-01"},
        _personal,
    ),
    "case.canRate (W-02)": Operation(
        "query($n: String!) { case(caseNo: $n) { canRate cannotRateCode } }",
        {"n": "W-02"},
        lambda v: "ok" if v["canRate"] else v["cannotRateCode"],
    ),
    "ratingForm (W-01)": Operation(
        "query($n: String!) { ratingForm(caseNo: $n, channel: APP) { caseNo } }",
        {"n": "W-01"},
        _ok,
    ),
    "rulesVersion": Operation("{ rulesVersion { version } }", {}, _ok),
    "windowInfo (W-01)": Operation(
        'query { windowInfo(code: "W-01") { name department { name } staffOnDuty } }', {}, _ok
    ),
    # Before the pad rates W-02 below: W-02 is waiting on W-01's pad here.
    "padQueue": Operation("{ padQueue { caseNo rateBy } }", {}, lambda v: "ok" if v else "null"),
    "auditLog": Operation("{ auditLog { nodes { caseNo } } }", {}, _ok),
    "ingestCases": Operation(
        INGEST, {"cases": [case_input("W-01", windowCode="W-01")]}, lambda v: "ok"
    ),
    "publishRules": Operation(
        "mutation($y: String!) { publishRules(yaml: $y) { __typename } }",
        {"y": RULES},
        lambda v: "ok" if v["__typename"] == "RulesPublished" else str(v),
    ),
    "activateRulesVersion": Operation(
        "mutation($id: ID!) { activateRulesVersion(id: $id) "
        "{ __typename ... on RulesRejected { code } } }",
        {"id": VERSION},
        lambda v: "ok" if v["__typename"] == "RulesPublished" else str(v),
    ),
    "checkRules": Operation(
        "query($y: String!) { checkRules(yaml: $y) { ok } }", {"y": RULES}, _ok
    ),
    "runScenarios": Operation(
        "query($y: String!) { runScenarios(yaml: $y) { failed code } }", {"y": RULES}, _ok
    ),
    "tryRules": Operation(
        'query($y: String!) { tryRules(yaml: $y, decide: "level", given: "{\\"level\\": 5}") '
        "{ __typename } }",
        {"y": RULES},
        lambda v: "ok" if v["__typename"] == "RulesTrial" else str(v),
    ),
    "activeRules": Operation("{ activeRules { version } }", {}, _ok),
    "rulesVersions": Operation("{ rulesVersions { id } }", {}, _ok),
    "rulesDiff": Operation(
        "query($id: ID!) { rulesDiff(from: $id, to: $id) { changes { summary } } }",
        {"id": VERSION},
        _ok,
    ),
    "simulateRules": Operation(
        'query($y: String!) { simulateRules(yaml: $y, from: "2026-01-01", to: "2026-12-31") '
        "{ __typename } }",
        {"y": RULES},
        lambda v: "ok" if v["__typename"] == "Simulation" else str(v),
    ),
    "submitRating (W-01)": Operation(
        "mutation($i: RatingInput!) { submitRating(input: $i) { ... on RatingRejected { code } "
        "... on RatingAccepted { appliesTo } } }",
        # Bad again: a good rating would close the callback the revealContact cells need.
        {"i": {"caseNo": "W-01", "level": 1, "channel": "APP", "tags": ["poor-attitude"]}},
        _union,
    ),
    "submitRating on PAD (W-01)": Operation(
        "mutation($i: RatingInput!) { submitRating(input: $i) { ... on RatingRejected { code } "
        "... on RatingAccepted { appliesTo } } }",
        {"i": {"caseNo": "W-01", "level": 5, "channel": "PAD"}},
        _union,
    ),
    "submitRating on PAD (W-02, just completed)": Operation(
        "mutation($i: RatingInput!) { submitRating(input: $i) { ... on RatingRejected { code } "
        "... on RatingAccepted { appliesTo } } }",
        {"i": {"caseNo": "W-02", "level": 4, "channel": "PAD"}},
        _union,
    ),
    "pairPad (W-01)": Operation('mutation { pairPad(windowCode: "W-01") { windowCode } }', {}, _ok),
    "createPadPairingCode (W-01)": Operation(
        'mutation { createPadPairingCode(windowCode: "W-01") { windowCode } }', {}, _ok
    ),
    "claimPadPairing (no such window)": Operation(
        'mutation { claimPadPairing(windowCode: "W-NONE", code: "123456") '
        "{ ... on PadPairingRefused { code } ... on PadPaired { windowCode } } }",
        {},
        _union,
    ),
    "pads (W-01)": Operation('query { pads(windowCode: "W-01") { id } }', {}, _ok),
    "revokePad (no such pad)": Operation('mutation { revokePad(id: "999999") { id } }', {}, _ok),
    "revealContact (W-01)": Operation(
        'mutation { revealContact(caseNo: "W-01", reason: "差评回访核实") '
        "{ ... on RevealRefused { code } ... on ContactRevealed { caseNo } } }",
        {},
        _union,
    ),
    "revealContact (C-1)": Operation(
        'mutation { revealContact(caseNo: "C-1", reason: "未评价提醒电话") '
        "{ ... on RevealRefused { code } ... on ContactRevealed { caseNo } } }",
        {},
        _union,
    ),
    "reminderCalls": Operation("{ reminderCalls { nodes { caseNo } } }", {}, _listed),
    "workItems": Operation("{ workItems { nodes { caseNo } } }", {}, _listed),
    "heldRatings": Operation("{ heldRatings { nodes { caseNo } } }", {}, _listed),
    "staffTally": Operation("{ staffTally { rows { confirmed } } }", {}, _ok),
    "metrics": Operation("{ metrics { code } }", {}, _ok),
    "statistics": Operation(
        f"{{ statistics(period: {YEAR}) {{ rows {{ period }} }} }}", {}, _rows("rows")
    ),
    "ranking": Operation(
        f'{{ ranking(metric: "participation", by: DEPARTMENT, period: {YEAR}) '
        "{ entries { rank } } }",
        {},
        _rows("entries"),
    ),
    "statisticsFunnel": Operation(
        f"{{ statisticsFunnel(period: {YEAR}) {{ stages {{ count }} }} }}", {}, _ok
    ),
    "recordReminderCall (C-1)": Operation(
        "mutation($id: ID!) { recordReminderCall(id: $id, outcome: NO_ANSWER) "
        "{ ... on ReminderCallRefused { code } ... on ReminderCallRecorded { call { id } } } }",
        {"id": C1_CALL},
        _union,
    ),
    "regions": Operation("{ regions { nodes { code } } }", {}, _codes),
    "halls": Operation("{ halls { nodes { code } } }", {}, _codes),
    "departments": Operation("{ departments { nodes { code } } }", {}, _codes),
    "windows": Operation("{ windows { nodes { code } } }", {}, _codes),
    "staff": Operation("{ staff { nodes { code } } }", {}, _codes),
    # Last: hearing it means completing new cases at W-01, which no row above may see.
    "myCaseCompleted (W-01)": Operation(
        'subscription { myCaseCompleted(windowCode: "W-01") { caseNo } }', {}, _ok, True
    ),
}
FIELD = re.compile(r"[{(]\s*(\w+)")


def root_field(query: str) -> str:
    body = query[query.index("{") :]
    found = FIELD.search(body)
    assert found
    return found.group(1)


async def principals(api: Api) -> dict[str, str | None]:
    """The column headings of the matrix -> the Authorization header each sends."""
    staff = token("window_staff", department_code="D-SCJG", staff_code="S-02")
    paired = await api.gql('mutation { pairPad(windowCode: "W-01") { token } }', token=staff)
    pad = paired["data"]["pairPad"]["token"]
    return {
        "anonymous": None,
        "citizen (applicant)": _bearer(
            token("citizen", id_number=WANG["idNumber"], name=WANG["name"])
        ),
        "citizen (other)": _bearer(token("citizen", id_number=CHEN["idNumber"], name="陈美玲")),
        "window_staff": _bearer(token("window_staff", department_code="D-SCJG")),
        "dept_handler": _bearer(token("dept_handler", department_code="D-SCJG")),
        "dept_handler (other dept)": _bearer(token("dept_handler", department_code="D-RSB")),
        "area_admin": _bearer(token("area_admin", region_code="330283")),
        "area_admin (other region)": _bearer(token("area_admin", region_code="330302")),
        "policy_staff": _bearer(token("policy_staff")),
        "system": _bearer(token("system")),
        "pad (W-01)": f"Pad {pad}",
    }


def _bearer(value: str) -> str:
    return f"Bearer {value}"


async def seed(api: Api) -> dict[str, str]:
    """The fixture of docs/access.md; returns what stands for the ids it created."""
    cases = [
        case_input("W-01"),
        # Completed five minutes before the test clock's now, at the pad's window.
        case_input(
            "W-02",
            acceptedAt="2026-11-20T19:30:00+08:00",
            completedAt="2026-11-20T19:55:00+08:00",
        ),
        other_department_case(),
        other_region_case(),
    ]
    body = await api.gql(INGEST, {"cases": cases}, token("system"))
    assert body["data"]["ingestCases"]["acceptedCount"] == len(cases)
    # A bad rating of W-01 opens the callback that revealContact needs.
    bad = await api.gql(
        "mutation($i: RatingInput!) { submitRating(input: $i) { __typename } }",
        {"i": {"caseNo": "W-01", "level": 1, "channel": "APP", "tags": ["poor-attitude"]}},
        token("citizen", id_number=WANG["idNumber"], name=WANG["name"]),
    )
    assert bad["data"]["submitRating"]["__typename"] == "RatingAccepted"
    # A policy that reminds by call: the unrated C-1 and E-1 get a reminder call.
    assert RULES.count("via: [SMS]") == 1
    calling = Engine(parse(RULES.replace("via: [SMS]", "via: [CALL]")))
    assert (await sweep(engine=calling, now=api.clock.now)).reminder_calls_queued == 2
    [call] = await fetch(
        connection(),
        "SELECT k.id FROM reminder_call k JOIN case_record c ON c.id = k.case_id "
        "WHERE c.case_no = 'C-1'",
    )
    await seed_reference()
    published = await api.gql(
        "mutation($y: String!) { publishRules(yaml: $y) { ... on RulesPublished { id } } }",
        {"y": RULES},
        token("policy_staff"),
    )
    return {C1_CALL: str(call["id"]), VERSION: published["data"]["publishRules"]["id"]}


async def seed_reference() -> None:
    """The halls and staff of docs/access.md: W-01 in 奉化区's hall served by S-01 (D-SCJG),
    W-05 in 溪口镇's hall served by S-05 (D-RSB)."""
    region = {r.code: r for r in await Region.all()}
    department = {d.code: d for d in await Department.all()}
    window = {w.code: w for w in await Window.all()}
    for code, name, where, holds in [
        ("H-FH", "奉化区行政服务中心", "330283", "W-01"),
        ("H-XK", "溪口镇便民服务中心", "330283100", "W-05"),
    ]:
        window[holds].hall = await Hall.create(code=code, name=name, region=region[where])
        await window[holds].save()
    # Intake names a staff member's department by the case it came with (C-1 named S-01 too).
    await Staff.filter(code="S-01").update(department=department["D-SCJG"])
    s05 = await Staff.create(code="S-05", name="王芳", department=department["D-RSB"])
    for staff, at in [(await Staff.get(code="S-01"), "W-01"), (s05, "W-05")]:
        await StaffWindow.create(staff=staff, window=window[at])


async def run(
    api: Api,
    operation: Operation,
    authorization: str | None,
    seeded: dict[str, str],
    live: str,
) -> str:
    if operation.subscription:
        return await listen(api, operation, authorization, live)
    headers = {"authorization": authorization} if authorization else {}
    variables = {
        name: seeded.get(value, value) if isinstance(value, str) else value
        for name, value in operation.variables.items()
    }
    payload = {"query": operation.query, "variables": variables}
    response = await api.client.post("/graphql", json=payload, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    if body.get("errors"):
        return str(body["errors"][0]["extensions"]["code"])
    return operation.outcome(body["data"][root_field(operation.query)])


_completions = count(1)


async def listen(api: Api, operation: Operation, authorization: str | None, live: str) -> str:
    """Subscribe, then complete a new case of each fixture citizen at W-01 until the
    subscription answers (the subscribe is not acknowledged, so the first ones may be
    completed before it listens)."""
    async with connect(f"ws://{live}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        params = {"Authorization": authorization} if authorization else {}
        await ws.send(json.dumps({"type": "connection_init", "payload": params}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        subscribe = {"query": operation.query, "variables": operation.variables}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
        for _ in range(20):
            serial = next(_completions)
            done = api.clock.now.isoformat()
            cases = [
                case_input(f"L-{serial}-{i}", who, acceptedAt=done, completedAt=done)
                for i, who in enumerate((WANG, CHEN))
            ]
            await api.gql(INGEST, {"cases": cases}, token("system"))
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=0.5))
            except TimeoutError:
                continue
            payload = message["payload"]
            errors = payload.get("errors") if isinstance(payload, dict) else payload
            if errors:
                return str(errors[0]["extensions"]["code"])
            return operation.outcome(payload["data"][root_field(operation.query)])
    return "nothing heard"


def documented() -> tuple[list[str], dict[str, dict[str, str]]]:
    """(column headings, {operation: {column: outcome}}) from the table in docs/access.md."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Matrix", 1)[1].split("\n## ", 1)[0]
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("|")
    ]
    header, body = rows[0], [r for r in rows[2:]]
    columns = header[1:]
    return columns, {r[0].strip("`"): dict(zip(columns, r[1:], strict=True)) for r in body}


async def test_the_api_does_what_the_access_matrix_says(api: Api, live_url: str) -> None:
    seeded = await seed(api)
    who = await principals(api)
    columns, expected = documented()
    assert columns == list(who), "docs/access.md columns"
    assert list(expected) == list(OPERATIONS), "docs/access.md rows"
    actual = {
        name: {column: await run(api, op, who[column], seeded, live_url) for column in columns}
        for name, op in OPERATIONS.items()
    }
    mismatches = [
        f"{name} / {column}: documented {expected[name][column]}, actual {actual[name][column]}"
        for name in OPERATIONS
        for column in columns
        if expected[name][column] != actual[name][column]
    ]
    assert mismatches == [], "\n".join([*mismatches, "", "actual:", render(columns, actual)])


def render(columns: list[str], table: dict[str, dict[str, str]]) -> str:
    lines = ["| operation | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    lines += [
        f"| `{name}` | " + " | ".join(row[c] for c in columns) + " |" for name, row in table.items()
    ]
    return "\n".join(lines)
