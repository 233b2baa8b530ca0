"""What a business system sends us for one case, and the checks it must pass.

Field names in rejections are the intake contract's (camelCase), so the sending system
can point at the exact field it got wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from models.enums import ApplicantKind, MatterType, ServedVia
from services.identifiers import is_company_id, is_person_id, is_phone

MAX_CASES_PER_CALL = 1000
CLOCK_SKEW = timedelta(minutes=10)

_CODE = re.compile(r"^[^\s\x00-\x1f\x7f]{1,64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class ApplicantData:
    name: str
    id_number: str
    phone: str | None
    kind: ApplicantKind


@dataclass(frozen=True)
class CaseData:
    case_no: str
    matter_code: str
    matter_name: str
    matter_type: MatterType
    department_code: str
    department_name: str
    region_code: str
    applicant: ApplicantData
    served_via: ServedVia
    accepted_at: str
    completed_at: str | None = None
    window_code: str | None = None
    window_name: str | None = None
    staff_code: str | None = None
    staff_name: str | None = None
    batch_no: str | None = None
    integrated_service_no: str | None = None
    integrated_service_name: str | None = None


@dataclass(frozen=True)
class CaseRefusal:
    """One case of a call that was not stored; nothing of it was written."""

    index: int
    case_no: str
    code: str
    field: str
    message: str


@dataclass(frozen=True)
class Ingested:
    index: int
    case_no: str
    created: bool
    completed_now: bool


def case_from_fields(value: Mapping[str, Any]) -> CaseData:
    """A case as the intake contract names its fields (ingestCases' CaseInput, camelCase),
    codes and names trimmed."""
    person = value["applicant"]
    return CaseData(
        case_no=value["caseNo"].strip(),
        matter_code=value["matterCode"].strip(),
        matter_name=value["matterName"].strip(),
        matter_type=MatterType(value["matterType"]),
        department_code=value["departmentCode"].strip(),
        department_name=value["departmentName"].strip(),
        region_code=value["regionCode"].strip(),
        applicant=ApplicantData(
            name=person["name"],
            id_number=person["idNumber"],
            phone=person.get("phone"),
            kind=ApplicantKind(person["kind"]),
        ),
        served_via=ServedVia(value["servedVia"]),
        accepted_at=value["acceptedAt"],
        completed_at=value.get("completedAt"),
        window_code=_trimmed(value.get("windowCode")),
        window_name=_trimmed(value.get("windowName")),
        staff_code=_trimmed(value.get("staffCode")),
        staff_name=_trimmed(value.get("staffName")),
        batch_no=_trimmed(value.get("batchNo")),
        integrated_service_no=_trimmed(value.get("integratedServiceNo")),
        integrated_service_name=_trimmed(value.get("integratedServiceName")),
    )


def _trimmed(value: str | None) -> str | None:
    return value.strip() if value is not None else None


def normalise_id_number(value: str) -> str:
    return value.strip().upper()


def normalise_phone(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = re.sub(r"[\s-]", "", value)
    return cleaned or None


def check(index: int, item: CaseData, now: datetime) -> CaseRefusal | None:
    """The first problem with one case, or None when it can be stored."""
    problems = _problems(item, now)
    if not problems:
        return None
    field, code, message = problems[0]
    return CaseRefusal(index, item.case_no, code, field, message)


def _problems(item: CaseData, now: datetime) -> list[tuple[str, str, str]]:
    found = [p for p in _code_problems(item) if p]
    found += [p for p in _name_problems(item) if p]
    found += _applicant_problems(item.applicant)
    found += _time_problems(item, now)
    return found


def _code_problems(item: CaseData) -> list[tuple[str, str, str] | None]:
    codes = {
        "caseNo": item.case_no,
        "matterCode": item.matter_code,
        "departmentCode": item.department_code,
        "regionCode": item.region_code,
        "windowCode": item.window_code,
        "staffCode": item.staff_code,
        "batchNo": item.batch_no,
        "integratedServiceNo": item.integrated_service_no,
    }
    return [_code_problem(field, value) for field, value in codes.items()]


def _code_problem(field: str, value: str | None) -> tuple[str, str, str] | None:
    if value is None:
        return None
    if not value:
        return (field, "REQUIRED", f"{field} must not be empty")
    if not _CODE.match(value):
        return (field, "INVALID_FORMAT", f"{field} must be 1-64 characters without spaces")
    return None


def _name_problems(item: CaseData) -> list[tuple[str, str, str] | None]:
    names = {
        "matterName": (item.matter_name, True, 256),
        "departmentName": (item.department_name, True, 128),
        "windowName": (item.window_name, item.window_code is not None, 128),
        "staffName": (item.staff_name, item.staff_code is not None, 64),
        "integratedServiceName": (
            item.integrated_service_name,
            item.integrated_service_no is not None,
            256,
        ),
    }
    return [_name_problem(field, *spec) for field, spec in names.items()]


def _name_problem(
    field: str, value: str | None, required: bool, limit: int
) -> tuple[str, str, str] | None:
    if value is None or not value.strip():
        return (field, "REQUIRED", f"{field} is required here") if required else None
    if len(value) > limit:
        return (field, "TOO_LONG", f"{field} must be at most {limit} characters")
    if _CONTROL.search(value):
        return (field, "INVALID_FORMAT", f"{field} must not contain control characters")
    return None


def _applicant_problems(applicant: ApplicantData) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    name_problem = _name_problem("applicant.name", applicant.name, True, 128)
    if name_problem:
        found.append(name_problem)
    id_number = normalise_id_number(applicant.id_number)
    valid = is_person_id if applicant.kind is ApplicantKind.PERSON else is_company_id
    if not valid(id_number):
        what = (
            "an 18-character resident ID number with a valid check digit"
            if applicant.kind is ApplicantKind.PERSON
            else "an 18-character unified social credit code with a valid check character"
        )
        found.append(
            ("applicant.idNumber", "INVALID_ID_NUMBER", f"applicant.idNumber must be {what}")
        )
    phone = normalise_phone(applicant.phone)
    if phone is not None and not is_phone(phone):
        found.append(("applicant.phone", "INVALID_FORMAT", "applicant.phone must be 5-20 digits"))
    return found


def parse_time(value: str | None) -> datetime | None:
    """An ISO-8601 timestamp with a UTC offset, or None when absent; ValueError otherwise."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        raise ValueError("no offset")
    return moment


def _time_problems(item: CaseData, now: datetime) -> list[tuple[str, str, str]]:
    moments: dict[str, datetime | None] = {}
    for field, value in (("acceptedAt", item.accepted_at), ("completedAt", item.completed_at)):
        try:
            moments[field] = parse_time(value)
        except ValueError:
            return [
                (
                    field,
                    "INVALID_TIME",
                    f"{field} must be ISO-8601 with a UTC offset, e.g. 2026-11-20T09:30:00+08:00",
                )
            ]
        moment = moments[field]
        if moment is not None and moment > now + CLOCK_SKEW:
            return [(field, "INVALID_TIME", f"{field} lies in the future")]
    accepted, completed = moments["acceptedAt"], moments["completedAt"]
    if accepted is not None and completed is not None and completed < accepted:
        return [("completedAt", "INVALID_TIME", "completedAt is before acceptedAt")]
    return []
