"""Case inputs as a business system sends them, with the demo catalog's fictional people."""

from __future__ import annotations

from typing import Any

WANG = {
    "name": "王小明",
    "idNumber": "11010519491231002X",
    "phone": "13800000001",
    "kind": "PERSON",
}
CHEN = {
    "name": "陈美玲",
    "idNumber": "330283199003075227",
    "phone": "13800000002",
    "kind": "PERSON",
}
COMPANY = {
    "name": "奉化区某某餐饮有限公司",
    "idNumber": "91330283MA2H4K7L8E",
    "phone": "057488000001",
    "kind": "COMPANY",
}
PEOPLE = (WANG, CHEN, COMPANY)

INGEST = """
mutation Ingest($cases: [CaseInput!]!) {
  ingestCases(cases: $cases) {
    acceptedCount rejectedCount
    results {
      __typename
      ... on CaseIngested { index caseNo created }
      ... on CaseRejected { index caseNo code field message }
    }
  }
}
"""

CASE_FIELDS = """
caseNo status servedVia acceptedAt completedAt regionCode batchNo
matter { code name type } department { code name } window { code name } staff { code name }
integratedService { code name } applicant { kind name idNumber phone }
"""


def person_id(serial: int) -> str:
    """A resident ID number with a valid GB 11643 check digit (fictional)."""
    body = f"330283199001{(serial % 28) + 1:02d}{serial % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


def person(serial: int, phone: str | None = "13900000000") -> dict[str, Any]:
    """A fictional applicant of its own (serial), for tests that need many different raters."""
    return {"name": "测试人", "idNumber": person_id(serial), "phone": phone, "kind": "PERSON"}


def case_input(case_no: str, applicant: dict[str, Any] = WANG, **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "caseNo": case_no,
        "matterCode": "M-SCJG-001",
        "matterName": "营业执照设立登记",
        "matterType": "LICENSING",
        "departmentCode": "D-SCJG",
        "departmentName": "区市场监管局",
        "regionCode": "330283",
        "windowCode": "W-01",
        "windowName": "综合受理1号窗口",
        "staffCode": "S-01",
        "staffName": "李晓燕",
        "applicant": dict(applicant),
        "servedVia": "WINDOW",
        "acceptedAt": "2026-11-18T09:30:00+08:00",
        "completedAt": "2026-11-18T10:05:00+08:00",
    }
    item.update(overrides)
    return item


def other_department_case(case_no: str = "C-1") -> dict[str, Any]:
    """陈美玲's case at another department (区人社保局) in a town of the same district."""
    return case_input(
        case_no,
        CHEN,
        departmentCode="D-RSB",
        departmentName="区人社保局",
        windowCode="W-05",
        windowName="社保医保窗口",
        regionCode="330283100",
    )


def other_region_case(case_no: str = "E-1") -> dict[str, Any]:
    """A company's online case in another city's district (鹿城区)."""
    return case_input(
        case_no,
        COMPANY,
        regionCode="330302",
        departmentCode="D-LC",
        departmentName="鹿城区市场监管局",
        windowCode=None,
        windowName=None,
        staffCode=None,
        staffName=None,
        servedVia="ONLINE",
    )
