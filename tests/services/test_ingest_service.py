"""services.ingest_cases called directly, as intake's use case: what a call stores, what it
refuses and that a refused case leaves nothing behind (the GraphQL tests in
tests/api/test_ingest_cases.py go through the resolver)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from models.db import connection, fetch
from models.enums import ApplicantKind, MatterType, ServedVia
from services.case_intake import MAX_CASES_PER_CALL, ApplicantData, CaseData, CaseRefusal, Ingested
from services.ingest_cases import TooManyCasesError, ingest_cases
from services.vault import Vault
from tests.conftest import DATA_KEY, Api
from tests.factories import CHEN, WANG, case_input


def case_data(case_no: str, person: dict[str, Any] = WANG, **overrides: Any) -> CaseData:
    """The factories' case (tests.factories.case_input) as the use case takes it."""
    item = case_input(case_no, person, **overrides)
    who = item["applicant"]
    return CaseData(
        case_no=item["caseNo"],
        matter_code=item["matterCode"],
        matter_name=item["matterName"],
        matter_type=MatterType(item["matterType"]),
        department_code=item["departmentCode"],
        department_name=item["departmentName"],
        region_code=item["regionCode"],
        applicant=ApplicantData(
            who["name"], who["idNumber"], who.get("phone"), ApplicantKind(who["kind"])
        ),
        served_via=ServedVia(item["servedVia"]),
        accepted_at=item["acceptedAt"],
        completed_at=item["completedAt"],
        window_code=item["windowCode"],
        window_name=item["windowName"],
        staff_code=item["staffCode"],
        staff_name=item["staffName"],
    )


async def rows(sql: str) -> list[dict[str, Any]]:
    return await fetch(connection(), sql)


async def ingest(api: Api, *items: CaseData) -> list[Ingested | CaseRefusal]:
    return await ingest_cases(items, vault=Vault.from_ring(DATA_KEY), now=api.clock.now)


async def test_new_cases_are_stored_with_their_reference_rows_and_sealed_applicants(
    api: Api,
) -> None:
    outcomes = await ingest(api, case_data("I-1"), case_data("I-2", CHEN))
    assert outcomes == [Ingested(0, "I-1", True, True), Ingested(1, "I-2", True, True)]
    cases = await rows(
        "SELECT c.case_no, c.status, c.rating_status, d.code AS department, w.code AS window, "
        "s.code AS staff FROM case_record c JOIN department d ON d.id = c.department_id "
        "LEFT JOIN service_window w ON w.id = c.window_id LEFT JOIN staff s ON s.id = c.staff_id "
        "ORDER BY c.case_no"
    )
    assert cases == [
        {
            "case_no": n,
            "status": "COMPLETED",
            "rating_status": "UNRATED",
            "department": "D-SCJG",
            "window": "W-01",
            "staff": "S-01",
        }
        for n in ("I-1", "I-2")
    ]
    applicants = await rows("SELECT name_enc, id_number_enc, phone_enc, key_id FROM applicant")
    assert len(applicants) == 2
    for person, stored in zip((WANG, CHEN), applicants, strict=False):
        sealed = " ".join(str(v) for v in stored.values())
        assert person["name"] not in sealed and person["idNumber"] not in sealed
        assert person["phone"] not in sealed


async def test_a_resent_case_is_updated_and_keeps_what_the_new_call_leaves_out(api: Api) -> None:
    await ingest(api, case_data("I-3", completedAt=None))
    again = await ingest(
        api, case_data("I-3", matterName="营业执照变更登记", windowCode=None, windowName=None)
    )
    assert again == [Ingested(0, "I-3", created=False, completed_now=True)]
    [case] = await rows(
        "SELECT m.name AS matter, w.code AS window, c.status FROM case_record c "
        "JOIN matter m ON m.id = c.matter_id LEFT JOIN service_window w ON w.id = c.window_id"
    )
    assert case == {"matter": "营业执照变更登记", "window": "W-01", "status": "COMPLETED"}


async def test_a_refused_case_writes_nothing_and_the_others_are_stored(api: Api) -> None:
    outcomes = await ingest(
        api,
        case_data("I-4"),
        case_data("I-5", CHEN, regionCode="999999", departmentCode="D-NOWHERE"),
    )
    assert outcomes[0] == Ingested(0, "I-4", True, True)
    refused = outcomes[1]
    assert isinstance(refused, CaseRefusal)
    assert (refused.index, refused.case_no, refused.code, refused.field) == (
        1,
        "I-5",
        "UNKNOWN_REGION",
        "regionCode",
    )
    assert [r["case_no"] for r in await rows("SELECT case_no FROM case_record")] == ["I-4"]
    assert await rows("SELECT code FROM department WHERE code = 'D-NOWHERE'") == []
    assert len(await rows("SELECT id FROM applicant")) == 1  # 陈美玲 was not stored


async def test_a_case_cannot_change_applicant(api: Api) -> None:
    await ingest(api, case_data("I-6"))
    outcomes = await ingest(api, case_data("I-6", CHEN))
    refused = outcomes[0]
    assert isinstance(refused, CaseRefusal) and refused.code == "CONFLICT"
    assert refused.field == "applicant.idNumber"
    assert len(await rows("SELECT id FROM applicant")) == 1


async def test_a_case_completed_in_the_future_is_refused(api: Api) -> None:
    later = (api.clock.now + timedelta(days=1)).isoformat()
    [refused] = await ingest(api, case_data("I-7", completedAt=later))
    assert isinstance(refused, CaseRefusal) and refused.field == "completedAt"
    assert await rows("SELECT id FROM case_record") == []


async def test_more_cases_than_a_call_takes_are_refused_whole(api: Api) -> None:
    many = [case_data(f"I-{n}") for n in range(MAX_CASES_PER_CALL + 1)]
    with pytest.raises(TooManyCasesError, match=str(MAX_CASES_PER_CALL)):
        await ingest(api, *many)
    assert await rows("SELECT id FROM case_record") == []
