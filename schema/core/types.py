"""Output types shared across resolvers. Times leave the API in business time (+08:00)."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

import strawberry

from models.enums import ApplicantKind, CaseStatus, MatterType, ServedVia
from services.cases import CaseView, Named, PersonalData

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")
_T = TypeVar("_T")

MatterTypeEnum = strawberry.enum(MatterType, name="MatterType", description="“6+1”类事项")
ServedViaEnum = strawberry.enum(ServedVia, name="ServedVia", description="办理方式")
ApplicantKindEnum = strawberry.enum(ApplicantKind, name="ApplicantKind")
CaseStatusEnum = strawberry.enum(CaseStatus, name="CaseStatus")


def business_time(moment: datetime) -> datetime:
    return moment.astimezone(BUSINESS_TZ)


@strawberry.type(description="事项")
class Matter:
    code: str
    name: str
    type: MatterTypeEnum  # type: ignore[valid-type]


@strawberry.type(description="部门")
class Department:
    code: str
    name: str


@strawberry.type(description="窗口")
class Window:
    code: str
    name: str


@strawberry.type(description="工作人员")
class Staff:
    code: str
    name: str


@strawberry.type(description="一件事 / 集成服务")
class IntegratedService:
    code: str
    name: str


@strawberry.type(description="申请人; personal fields are null for viewers not allowed them")
class Applicant:
    kind: ApplicantKindEnum  # type: ignore[valid-type]
    personal: strawberry.Private[PersonalData | None]

    @strawberry.field
    def name(self) -> str | None:
        return self.personal.name if self.personal else None

    @strawberry.field
    def id_number(self) -> str | None:
        return self.personal.id_number if self.personal else None

    @strawberry.field
    def phone(self) -> str | None:
        return self.personal.phone if self.personal else None


@strawberry.type(description="办件")
class Case:
    case_no: str
    status: CaseStatusEnum  # type: ignore[valid-type]
    served_via: ServedViaEnum  # type: ignore[valid-type]
    accepted_at: datetime
    completed_at: datetime | None
    matter: Matter
    department: Department
    region_code: str
    window: Window | None
    staff: Staff | None
    batch_no: str | None
    integrated_service: IntegratedService | None
    applicant: Applicant


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def _named(kind: type[_T], named: Named | None) -> _T | None:
    return kind(code=named.code, name=named.name) if named else None  # type: ignore[call-arg]


def case_from_view(view: CaseView) -> Case:
    return Case(
        case_no=view.case_no,
        status=view.status,
        served_via=view.served_via,
        accepted_at=business_time(view.accepted_at),
        completed_at=business_time(view.completed_at) if view.completed_at else None,
        matter=Matter(code=view.matter.code, name=view.matter.name, type=view.matter_type),
        department=Department(code=view.department.code, name=view.department.name),
        region_code=view.region_code,
        window=_named(Window, view.window),
        staff=_named(Staff, view.staff),
        batch_no=view.batch_no,
        integrated_service=_named(IntegratedService, view.integrated_service),
        applicant=Applicant(kind=view.applicant_kind, personal=view.personal),
    )
