"""services.ingest_cases called directly: a call's cases are stored with their reference
data, a re-sent case number updates its case (never a second one), and a bad case is
refused with its own code and field while nothing of it is written."""

from __future__ import annotations

from typing import Any

import pytest

from services.case_intake import MAX_CASES_PER_CALL, CaseRefusal, Ingested
from services.ingest_cases import TooManyCasesError, ingest_cases, phone_lookup
from services.vault import Vault
from tests.conftest import NOW, Api
from tests.factories import CHEN, COMPANY, WANG, case_input
from tests.services.conftest import StoreCases, case_data, rows


async def ingest(vault: Vault, *cases: dict[str, Any]) -> list[Ingested | CaseRefusal]:
    return await ingest_cases([case_data(c) for c in cases], vault=vault, now=NOW)


async def count(table: str) -> int:
    found = await rows(f"SELECT COUNT(*) AS n FROM {table}")
    return int(found[0]["n"])


async def stored_case(case_no: str) -> dict[str, Any]:
    found = await rows(
        "SELECT c.status, c.rating_status, c.completed_at, c.served_via, a.id_number_hash, "
        "d.code AS department, d.name AS department_name, m.code AS matter, m.type AS matter_type, "
        "w.code AS window, s.code AS staff, b.batch_no, i.service_no "
        "FROM case_record c JOIN applicant a ON a.id = c.applicant_id "
        "JOIN department d ON d.id = c.department_id JOIN matter m ON m.id = c.matter_id "
        "LEFT JOIN service_window w ON w.id = c.window_id LEFT JOIN staff s ON s.id = c.staff_id "
        "LEFT JOIN batch b ON b.id = c.batch_id "
        "LEFT JOIN integrated_service i ON i.id = c.integrated_service_id "
        "WHERE c.case_no = ?",
        case_no,
    )
    assert len(found) == 1, (case_no, found)
    return found[0]


def refusal(outcome: Ingested | CaseRefusal) -> tuple[str, str]:
    assert isinstance(outcome, CaseRefusal), outcome
    return outcome.code, outcome.field


async def test_a_call_stores_every_case_with_its_reference_data(api: Api, vault: Vault) -> None:
    outcomes = await ingest(
        vault,
        case_input("N-1"),
        case_input("N-2", CHEN, completedAt=None),
        case_input(
            "N-3",
            COMPANY,
            windowCode=None,
            windowName=None,
            staffCode=None,
            staffName=None,
            servedVia="ONLINE",
        ),
    )
    assert outcomes == [
        Ingested(0, "N-1", created=True, completed_now=True),
        Ingested(1, "N-2", created=True, completed_now=False),
        Ingested(2, "N-3", created=True, completed_now=True),
    ]
    assert await count("case_record") == 3
    assert await count("applicant") == 3
    assert (await count("department"), await count("matter")) == (1, 1)
    first = await stored_case("N-1")
    assert {k: first[k] for k in ("status", "rating_status", "served_via", "department")} == {
        "status": "COMPLETED",
        "rating_status": "UNRATED",
        "served_via": "WINDOW",
        "department": "D-SCJG",
    }
    assert (first["matter"], first["matter_type"], first["window"], first["staff"]) == (
        "M-SCJG-001",
        "LICENSING",
        "W-01",
        "S-01",
    )
    assert first["id_number_hash"] == vault.lookup_hash(WANG["idNumber"])
    assert (await stored_case("N-2"))["status"] == "ACCEPTED"
    online = await stored_case("N-3")
    assert (online["window"], online["staff"], online["served_via"]) == (None, None, "ONLINE")


async def test_personal_data_is_stored_sealed_and_found_by_keyed_hash(
    api: Api, vault: Vault
) -> None:
    await ingest(vault, case_input("P-1", {**WANG, "phone": "138-0000-0001 "}))
    [person] = await rows(
        "SELECT name_enc, id_number_enc, phone_enc, phone_hash, key_id FROM applicant"
    )
    assert WANG["name"] not in person["name_enc"]
    assert WANG["idNumber"] not in person["id_number_enc"]
    key_id = person["key_id"]
    assert key_id == vault.active
    assert vault.open(person["name_enc"], "applicant.name", key_id) == WANG["name"]
    assert vault.open(person["phone_enc"], "applicant.phone", key_id) == "13800000001"
    assert person["phone_hash"] == phone_lookup(vault, "13800000001")


async def test_resending_a_case_updates_it_in_place(api: Api, vault: Vault) -> None:
    await ingest(vault, case_input("U-1", completedAt=None))
    again = await ingest(
        vault, case_input("U-1", departmentName="奉化区市场监督管理局", staffCode="S-02")
    )
    assert again == [Ingested(0, "U-1", created=False, completed_now=True)]
    updated = await stored_case("U-1")
    assert (updated["status"], updated["staff"]) == ("COMPLETED", "S-02")
    assert updated["department_name"] == "奉化区市场监督管理局"
    third = await ingest(vault, case_input("U-1"))
    assert third == [Ingested(0, "U-1", created=False, completed_now=False)]
    assert (await count("case_record"), await count("applicant")) == (1, 1)
    case = await stored_case("U-1")
    assert (case["status"], case["staff"]) == ("COMPLETED", "S-01")
    assert case["department_name"] == "区市场监管局"  # each call's names are the latest


async def test_a_resend_without_optional_fields_keeps_what_was_stored(
    api: Api, vault: Vault
) -> None:
    await ingest(vault, case_input("K-1", batchNo="B-9"))
    bare = case_input(
        "K-1",
        completedAt=None,
        windowCode=None,
        windowName=None,
        staffCode=None,
        staffName=None,
    )
    assert await ingest(vault, bare) == [Ingested(0, "K-1", created=False, completed_now=False)]
    case = await stored_case("K-1")
    assert (case["status"], case["window"], case["staff"], case["batch_no"]) == (
        "COMPLETED",
        "W-01",
        "S-01",
        "B-9",
    )
    assert case["completed_at"] is not None


async def test_batches_and_one_thing_services_are_recorded_once(api: Api, vault: Vault) -> None:
    one_thing = {"integratedServiceNo": "YJS-1", "integratedServiceName": "开办企业一件事"}
    await ingest(
        vault,
        case_input("G-1", batchNo="BATCH-1"),
        case_input("G-2", batchNo="BATCH-1"),
        case_input("G-3", COMPANY, **one_thing),
        case_input("G-4", COMPANY, **one_thing),
    )
    assert (await count("batch"), await count("integrated_service")) == (1, 1)
    assert [(await stored_case(n))["batch_no"] for n in ("G-1", "G-2", "G-3")] == [
        "BATCH-1",
        "BATCH-1",
        None,
    ]
    assert (await stored_case("G-4"))["service_no"] == "YJS-1"
    [service] = await rows("SELECT name FROM integrated_service")
    assert service["name"] == "开办企业一件事"


BAD = [
    ({"caseNo": ""}, "REQUIRED", "caseNo"),
    ({"caseNo": "C 1"}, "INVALID_FORMAT", "caseNo"),
    ({"matterCode": "M" * 65}, "INVALID_FORMAT", "matterCode"),
    ({"matterName": "  "}, "REQUIRED", "matterName"),
    ({"departmentName": "部" * 129}, "TOO_LONG", "departmentName"),
    ({"staffName": None}, "REQUIRED", "staffName"),
    ({"windowName": "窗\x07口"}, "INVALID_FORMAT", "windowName"),
    ({"integratedServiceNo": "YJS-2"}, "REQUIRED", "integratedServiceName"),
    ({"applicant": {**WANG, "name": ""}}, "REQUIRED", "applicant.name"),
    (
        {"applicant": {**WANG, "idNumber": "110105194912310021"}},  # wrong check digit
        "INVALID_ID_NUMBER",
        "applicant.idNumber",
    ),
    ({"applicant": {**COMPANY, "kind": "PERSON"}}, "INVALID_ID_NUMBER", "applicant.idNumber"),
    ({"applicant": {**WANG, "phone": "12"}}, "INVALID_FORMAT", "applicant.phone"),
    ({"acceptedAt": "2026-11-18T09:30:00"}, "INVALID_TIME", "acceptedAt"),
    ({"completedAt": "2026-11-18T09:00:00+08:00"}, "INVALID_TIME", "completedAt"),
    ({"completedAt": "2026-11-20T20:11:00+08:00"}, "INVALID_TIME", "completedAt"),
    ({"regionCode": "110101"}, "UNKNOWN_REGION", "regionCode"),
]


@pytest.mark.parametrize(("change", "code", "field"), BAD, ids=[f"{c}-{f}" for _, c, f in BAD])
async def test_a_bad_case_is_refused_with_its_code_and_nothing_of_it_is_written(
    api: Api, vault: Vault, change: dict[str, Any], code: str, field: str
) -> None:
    bad = case_input(
        "BAD-1",
        **{
            "matterCode": "M-BAD",
            "departmentCode": "D-BAD",
            "windowCode": "W-BAD",
            "staffCode": "S-BAD",
            "batchNo": "BATCH-BAD",
            "applicant": CHEN,
            **change,
        },
    )
    outcomes = await ingest(vault, case_input("OK-1"), bad, case_input("OK-2", COMPANY))
    assert outcomes[0] == Ingested(0, "OK-1", created=True, completed_now=True)
    assert outcomes[2] == Ingested(2, "OK-2", created=True, completed_now=True)
    refused = outcomes[1]
    assert isinstance(refused, CaseRefusal)
    assert (refused.index, refused.case_no, refused.code, refused.field) == (
        1,
        bad["caseNo"],
        code,
        field,
    )
    assert refused.message
    # The applicant's data never goes back in the message.
    assert bad["applicant"]["idNumber"] not in refused.message
    assert {r["case_no"] for r in await rows("SELECT case_no FROM case_record")} == {
        "OK-1",
        "OK-2",
    }
    assert await count("applicant") == 2  # none for the refused case alone
    for table, column in (
        ("matter", "code"),
        ("department", "code"),
        ("service_window", "code"),
        ("staff", "code"),
        ("batch", "batch_no"),
    ):
        kept = await rows(f"SELECT {column} AS v FROM {table} WHERE {column} LIKE '%BAD%'")
        assert kept == [], f"{table} kept a row of the refused case"


async def test_a_call_of_only_bad_cases_writes_nothing(api: Api, vault: Vault) -> None:
    outcomes = await ingest(
        vault,
        case_input("Z-1", regionCode="999999"),
        case_input("Z-2", acceptedAt="yesterday"),
    )
    assert [refusal(o) for o in outcomes] == [
        ("UNKNOWN_REGION", "regionCode"),
        ("INVALID_TIME", "acceptedAt"),
    ]
    for table in ("case_record", "applicant", "department", "matter", "staff", "service_window"):
        assert await count(table) == 0, table


async def test_a_case_number_twice_in_one_call_keeps_the_first(api: Api, vault: Vault) -> None:
    outcomes = await ingest(
        vault, case_input("D-1"), case_input("D-1", CHEN, departmentCode="D-RSB")
    )
    assert outcomes[0] == Ingested(0, "D-1", created=True, completed_now=True)
    assert refusal(outcomes[1]) == ("DUPLICATE_IN_CALL", "caseNo")
    case = await stored_case("D-1")
    assert (case["id_number_hash"], case["department"]) == (
        vault.lookup_hash(WANG["idNumber"]),
        "D-SCJG",
    )
    assert await count("applicant") == 1


async def test_a_stored_case_cannot_change_applicant_and_stays_as_it_was(
    api: Api, vault: Vault, store_cases: StoreCases
) -> None:
    await store_cases(case_input("X-1", completedAt=None))
    outcomes = await ingest(vault, case_input("X-1", CHEN), case_input("X-2", CHEN))
    assert refusal(outcomes[0]) == ("CONFLICT", "applicant.idNumber")
    assert outcomes[1] == Ingested(1, "X-2", created=True, completed_now=True)
    case = await stored_case("X-1")
    assert (case["id_number_hash"], case["status"]) == (
        vault.lookup_hash(WANG["idNumber"]),
        "ACCEPTED",
    )


async def test_an_id_number_is_matched_whatever_its_case_and_spaces(
    api: Api, vault: Vault, store_cases: StoreCases
) -> None:
    await store_cases(case_input("L-1"))
    lower = {**WANG, "idNumber": f" {WANG['idNumber'].lower()} "}
    outcomes = await ingest(vault, case_input("L-1", lower), case_input("L-2", lower))
    assert outcomes == [
        Ingested(0, "L-1", created=False, completed_now=False),
        Ingested(1, "L-2", created=True, completed_now=True),
    ]
    assert await count("applicant") == 1


async def test_more_cases_than_a_call_takes_are_refused_whole(api: Api, vault: Vault) -> None:
    cases = [case_data(case_input(f"M-{i}")) for i in range(MAX_CASES_PER_CALL + 1)]
    with pytest.raises(TooManyCasesError, match=str(MAX_CASES_PER_CALL)):
        await ingest_cases(cases, vault=vault, now=NOW)
    assert await count("case_record") == 0
    full = await ingest_cases(cases[:MAX_CASES_PER_CALL], vault=vault, now=NOW)
    assert sum(isinstance(o, Ingested) and o.created for o in full) == MAX_CASES_PER_CALL
    assert await count("case_record") == MAX_CASES_PER_CALL
