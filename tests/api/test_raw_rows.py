"""A database dump shows no personal data in clear: after a scenario that touches every
table holding it (intake, ratings with text, a bad rating's callback and audited reveal, an
SMS reminder and an SMS reply, a pad), every stored value of every table is searched."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from models.db import connection, dialect, fetch
from rules import Engine
from services.sweep_deadlines import sweep
from tests.conftest import ROOT, SMS_SECRET, Api, citizen, token
from tests.factories import CHEN, COMPANY, INGEST, PEOPLE, WANG, case_input
from tests.privacy_guard import needles

SUBMIT = """
mutation($input: RatingInput!) {
  submitRating(input: $input) { __typename ... on RatingRejected { code } }
}
"""
REVEAL = """
mutation($n: String!) {
  revealContact(caseNo: $n, reason: "差评回访，核实办理情况") { __typename }
}
"""


async def rate(api: Api, person: dict[str, Any], **fields: Any) -> None:
    body = await api.gql(SUBMIT, {"input": {"channel": "APP", **fields}}, citizen(person))
    assert body["data"]["submitRating"]["__typename"] == "RatingAccepted", body


async def tables() -> list[str]:
    conn = connection()
    if dialect(conn) == "postgres":
        rows = await fetch(
            conn, "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
        )
    else:
        rows = await fetch(conn, "SELECT name FROM sqlite_master WHERE type = 'table'")
    return sorted(str(r["name"]) for r in rows)


async def test_no_table_holds_a_name_id_number_or_phone_in_clear(api: Api) -> None:
    cases = [case_input(f"D-{i}", person) for i, person in enumerate(PEOPLE)]
    cases.append(case_input("D-9", WANG, completedAt=None))
    body = await api.gql(INGEST, {"cases": cases}, token("system"))
    assert body["data"]["ingestCases"]["acceptedCount"] == len(cases)
    await rate(api, WANG, caseNo="D-0", level=5, comment="窗口服务很好，一次办成")
    await rate(api, CHEN, caseNo="D-1", level=1, tags=["poor-attitude"], comment="等了很久")
    revealed = await api.gql(REVEAL, {"n": "D-1"}, token("dept_handler", department_code="D-SCJG"))
    assert revealed["data"]["revealContact"]["__typename"] == "ContactRevealed"
    engine = Engine.from_path(ROOT / "rules.yaml")
    report = await sweep(engine=engine, now=api.clock.now + timedelta(days=2))
    assert report.reminders_queued >= 1
    reply = await api.client.post(
        "/sms/inbound",
        json={"from": COMPANY["phone"], "text": "5"},
        headers={"X-HCP-SMS-Secret": SMS_SECRET},
    )
    assert reply.status_code == 200, reply.text
    paired = await api.gql(
        'mutation { pairPad(windowCode: "W-01") { token } }',
        token=token("window_staff", department_code="D-SCJG", staff_code="S-01"),
    )
    assert paired["data"]["pairPad"]["token"]

    clear = needles()
    found: list[str] = []
    names = await tables()
    for table in names:
        for row in await fetch(connection(), f'SELECT * FROM "{table}"'):
            text = " ".join(str(value) for value in row.values())
            found += [f"{table}: {kind}" for value, kind in clear.items() if value in text]
    assert {"applicant", "rating", "sms_outbox", "audit_log", "work_item"} <= set(names)
    assert found == []
