"""Case intake through the GraphQL API, on every backend."""

from __future__ import annotations

from typing import Any

from models.db import connection, fetch
from tests.conftest import Api, token
from tests.factories import CASE_FIELDS, CHEN, COMPANY, INGEST, WANG, case_input, person_id


async def ingest(api: Api, cases: list[dict[str, Any]]) -> dict[str, Any]:
    body = await api.gql(INGEST, {"cases": cases}, token("system"))
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["ingestCases"]
    return result


async def count(table: str) -> int:
    rows = await fetch(connection(), f"SELECT COUNT(*) AS n FROM {table}")
    return int(rows[0]["n"])


async def get_case(api: Api, case_no: str) -> dict[str, Any]:
    body = await api.gql(
        f"query($n: String!) {{ case(caseNo: $n) {{ {CASE_FIELDS} }} }}",
        {"n": case_no},
        token("system"),
    )
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]["case"]
    return found


async def test_new_cases_are_stored_with_their_reference_data(api: Api) -> None:
    result = await ingest(
        api,
        [
            case_input("C-1"),
            case_input(
                "C-2",
                CHEN,
                matterCode="M-RSB-002",
                matterName="社会保障卡申领",
                matterType="PUBLIC_SERVICE",
                departmentCode="D-RSB",
                departmentName="区人社保局",
                windowCode=None,
                windowName=None,
                staffCode=None,
                staffName=None,
                servedVia="ONLINE",
                completedAt=None,
            ),
        ],
    )
    assert result["acceptedCount"] == 2 and result["rejectedCount"] == 0
    assert [r["created"] for r in result["results"]] == [True, True]
    first = await get_case(api, "C-1")
    assert first["matter"] == {
        "code": "M-SCJG-001",
        "name": "营业执照设立登记",
        "type": "LICENSING",
    }
    assert first["window"] == {"code": "W-01", "name": "综合受理1号窗口"}
    assert first["status"] == "COMPLETED"
    assert first["acceptedAt"] == "2026-11-18T09:30:00+08:00"
    second = await get_case(api, "C-2")
    assert second["status"] == "ACCEPTED" and second["window"] is None
    assert second["servedVia"] == "ONLINE"


async def test_resending_a_case_updates_it_and_never_duplicates(api: Api) -> None:
    pending = case_input("C-9", completedAt=None)
    await ingest(api, [pending])
    again = await ingest(api, [pending])
    assert again["results"][0] == {
        "__typename": "CaseIngested",
        "index": 0,
        "caseNo": "C-9",
        "created": False,
    }
    done = await ingest(
        api,
        [
            case_input(
                "C-9", completedAt="2026-11-19T16:00:00+08:00", matterName="营业执照设立登记（新）"
            )
        ],
    )
    assert done["results"][0]["created"] is False
    assert await count("case_record") == 1
    assert await count("applicant") == 1
    stored = await get_case(api, "C-9")
    assert stored["status"] == "COMPLETED"
    assert stored["completedAt"] == "2026-11-19T16:00:00+08:00"
    assert stored["matter"]["name"] == "营业执照设立登记（新）"


async def test_a_resend_without_optional_fields_keeps_what_was_stored(api: Api) -> None:
    await ingest(api, [case_input("C-5", batchNo="B-1")])
    await ingest(api, [case_input("C-5", completedAt=None, batchNo=None)])
    stored = await get_case(api, "C-5")
    assert stored["batchNo"] == "B-1"
    assert stored["status"] == "COMPLETED"


async def test_one_bad_case_is_rejected_alone_and_leaves_nothing_behind(api: Api) -> None:
    bad_applicant = {**CHEN, "idNumber": "330283199003075228"}
    result = await ingest(
        api,
        [
            case_input("OK-1"),
            case_input(
                "BAD-1",
                bad_applicant,
                matterCode="M-ONLY-IN-BAD",
                departmentCode="D-BAD",
                windowCode="W-BAD",
                staffCode="S-BAD",
            ),
            case_input("OK-2", COMPANY),
        ],
    )
    assert result["acceptedCount"] == 2 and result["rejectedCount"] == 1
    rejected = result["results"][1]
    assert rejected["__typename"] == "CaseRejected"
    assert (rejected["index"], rejected["caseNo"], rejected["code"], rejected["field"]) == (
        1,
        "BAD-1",
        "INVALID_ID_NUMBER",
        "applicant.idNumber",
    )
    assert "330283199003075228" not in rejected["message"]
    for table, column, value in [
        ("case_record", "case_no", "BAD-1"),
        ("matter", "code", "M-ONLY-IN-BAD"),
        ("department", "code", "D-BAD"),
        ("service_window", "code", "W-BAD"),
        ("staff", "code", "S-BAD"),
    ]:
        rows = await fetch(connection(), f"SELECT 1 FROM {table} WHERE {column} = ?", [value])
        assert rows == [], f"{table} kept a row of the rejected case"
    assert await count("applicant") == 2


REJECTIONS = [
    ({"caseNo": ""}, "REQUIRED", "caseNo"),
    ({"caseNo": "has space"}, "INVALID_FORMAT", "caseNo"),
    ({"matterName": " "}, "REQUIRED", "matterName"),
    ({"departmentName": "部" * 129}, "TOO_LONG", "departmentName"),
    ({"windowName": None}, "REQUIRED", "windowName"),
    ({"regionCode": "999999"}, "UNKNOWN_REGION", "regionCode"),
    ({"acceptedAt": "2026-11-18 09:30"}, "INVALID_TIME", "acceptedAt"),
    ({"acceptedAt": "yesterday"}, "INVALID_TIME", "acceptedAt"),
    ({"completedAt": "2026-11-18T08:00:00+08:00"}, "INVALID_TIME", "completedAt"),
    ({"completedAt": "2027-01-01T08:00:00+08:00"}, "INVALID_TIME", "completedAt"),
    ({"applicant": {**WANG, "name": "王\x00明"}}, "INVALID_FORMAT", "applicant.name"),
    ({"applicant": {**WANG, "phone": "call me"}}, "INVALID_FORMAT", "applicant.phone"),
    ({"applicant": {**COMPANY, "kind": "PERSON"}}, "INVALID_ID_NUMBER", "applicant.idNumber"),
    ({"applicant": {**WANG, "kind": "COMPANY"}}, "INVALID_ID_NUMBER", "applicant.idNumber"),
    (
        {"applicant": {**WANG, "idNumber": "110105194902301234"}},
        "INVALID_ID_NUMBER",
        "applicant.idNumber",
    ),
]


async def test_each_kind_of_bad_value_names_its_code_and_field(api: Api) -> None:
    cases = [case_input(f"R-{i}", **change) for i, (change, _, _) in enumerate(REJECTIONS)]
    result = await ingest(api, [*cases, case_input("GOOD")])
    got = [(r.get("code"), r.get("field")) for r in result["results"]]
    assert got[:-1] == [(code, field) for _, code, field in REJECTIONS]
    assert result["results"][-1]["__typename"] == "CaseIngested"
    assert await count("case_record") == 1


async def test_a_case_number_twice_in_one_call_keeps_the_first(api: Api) -> None:
    result = await ingest(api, [case_input("D-1"), case_input("D-1", CHEN)])
    assert result["results"][1]["code"] == "DUPLICATE_IN_CALL"
    assert (await get_case(api, "D-1"))["applicant"]["kind"] == "PERSON"
    assert await count("applicant") == 1


async def test_a_stored_case_cannot_change_applicant(api: Api) -> None:
    await ingest(api, [case_input("X-1")])
    result = await ingest(api, [case_input("X-1", CHEN)])
    assert (result["results"][0]["code"], result["results"][0]["field"]) == (
        "CONFLICT",
        "applicant.idNumber",
    )


async def test_batches_and_one_thing_services_are_recorded(api: Api) -> None:
    await ingest(
        api,
        [
            case_input("B-1", batchNo="BATCH-7"),
            case_input("B-2", batchNo="BATCH-7"),
            case_input(
                "Y-1",
                COMPANY,
                integratedServiceNo="YJS-KBQY",
                integratedServiceName="开办企业一件事",
            ),
            case_input("Y-2", COMPANY, integratedServiceNo="YJS-KBQY"),
        ],
    )
    assert (await get_case(api, "B-2"))["batchNo"] == "BATCH-7"
    assert (await get_case(api, "Y-1"))["integratedService"] == {
        "code": "YJS-KBQY",
        "name": "开办企业一件事",
    }
    assert await count("batch") == 1


async def test_a_one_thing_member_needs_the_service_name(api: Api) -> None:
    result = await ingest(api, [case_input("Y-3", integratedServiceNo="YJS-NEW")])
    assert result["results"][0]["field"] == "integratedServiceName"


async def test_a_full_call_of_1000_cases_is_accepted(api: Api) -> None:
    cases = [
        case_input(f"BULK-{i:04d}", {**WANG, "idNumber": person_id(i), "name": f"市民{i}"})
        for i in range(1000)
    ]
    result = await ingest(api, cases)
    assert result["acceptedCount"] == 1000
    assert await count("case_record") == 1000


async def test_more_than_1000_cases_in_one_call_is_bad_input(api: Api) -> None:
    cases = [case_input(f"OVER-{i:04d}") for i in range(1001)]
    body = await api.gql(INGEST, {"cases": cases}, token("system"))
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    assert await count("case_record") == 0


async def test_only_the_system_role_may_ingest(api: Api) -> None:
    cases = {"cases": [case_input("Z-1")]}
    for role, claims in [
        ("citizen", {"id_number": WANG["idNumber"]}),
        ("dept_handler", {"department_code": "D-SCJG"}),
        ("area_admin", {"region_code": "330283"}),
        ("policy_staff", {}),
    ]:
        body = await api.gql(INGEST, cases, token(role, **claims))
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
    body = await api.gql(INGEST, cases)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await count("case_record") == 0
