"""`ingestCases`: how business systems feed cases in (system role, ≤ 1,000 per call)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, cast

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.errors import BadInputError
from schema.core.events import window_topic
from schema.core.types import ApplicantKindEnum, MatterTypeEnum, ServedViaEnum, business_time
from services.case_intake import CaseData, CaseRefusal, Ingested, case_from_fields, parse_time
from services.identity import Role
from services.ingest_cases import TooManyCasesError, ingest_cases


@strawberry.input(description="申请人 (real-name; stored encrypted)")
class ApplicantInput:
    name: str
    id_number: str = strawberry.field(description="居民身份证号 or 统一社会信用代码")
    kind: ApplicantKindEnum  # type: ignore[valid-type]
    phone: str | None = None


@strawberry.input(
    description="One case as the business system knows it; re-sending a caseNo updates it"
)
class CaseInput:
    case_no: str
    matter_code: str
    matter_name: str
    matter_type: MatterTypeEnum  # type: ignore[valid-type]
    department_code: str
    department_name: str
    region_code: str
    applicant: ApplicantInput
    served_via: ServedViaEnum  # type: ignore[valid-type]
    accepted_at: str = strawberry.field(
        description="ISO-8601 with offset, e.g. 2026-11-20T09:30:00+08:00"
    )
    completed_at: str | None = strawberry.field(default=None, description="ISO-8601 with offset")
    window_code: str | None = None
    window_name: str | None = None
    staff_code: str | None = None
    staff_name: str | None = None
    batch_no: str | None = None
    integrated_service_no: str | None = None
    integrated_service_name: str | None = None


@strawberry.type(description="The case was stored")
class CaseIngested:
    index: int
    case_no: str
    created: bool = strawberry.field(description="false when an existing case was updated")


@strawberry.type(description="The case was not stored; nothing of it was written")
class CaseRejected:
    index: int
    case_no: str
    code: str
    field: str
    message: str


CaseIngestOutcome = Annotated[CaseIngested | CaseRejected, strawberry.union("CaseIngestOutcome")]


@strawberry.type
class IngestCasesResult:
    accepted_count: int
    rejected_count: int
    results: list[CaseIngestOutcome] = strawberry.field(description="One per input case, in order")


def _case_data(_type: type, value: Mapping[str, Any], _context: object) -> CaseData:
    """Builds the intake's CaseData straight from the input graphql-core has already
    coerced. Strawberry's generic conversion into CaseInput objects cost ~0.3 ms per case,
    about half of a 1,000-case call; this hook (`from_input`) is how an input type builds
    its own value."""
    return case_from_fields(value)


CaseInput.__strawberry_definition__.from_input = _case_data  # type: ignore[attr-defined]


def _outcome(result: Ingested | CaseRefusal) -> CaseIngested | CaseRejected:
    if isinstance(result, CaseRefusal):
        return CaseRejected(
            index=result.index,
            case_no=result.case_no,
            code=result.code,
            field=result.field,
            message=result.message,
        )
    return CaseIngested(index=result.index, case_no=result.case_no, created=result.created)


async def _announce_completions(
    info: Info[Context, None], cases: list[CaseData], results: list[Ingested | CaseRefusal]
) -> None:
    """Tell the window's pad about each case that this call completed."""
    events = []
    for result in results:
        item = cases[result.index]
        if isinstance(result, Ingested) and result.completed_now and item.window_code:
            completed = parse_time(item.completed_at)
            assert completed is not None
            events.append(
                (
                    window_topic(item.window_code),
                    {
                        "windowCode": item.window_code,
                        "caseNo": item.case_no,
                        "matterName": item.matter_name,
                        "staffName": item.staff_name,
                        "completedAt": business_time(completed).isoformat(),
                    },
                )
            )
    await info.context.collaborators.broker.publish_many(events)


async def resolve(info: Info[Context, None], cases: list[CaseInput]) -> IngestCasesResult:
    """Store or update cases; each case gets its own result."""
    info.context.require(Role.SYSTEM)
    try:
        results = await ingest_cases(
            cast("list[CaseData]", cases), vault=info.context.vault, now=info.context.now()
        )
    except TooManyCasesError as exc:
        raise BadInputError(str(exc)) from None
    await _announce_completions(info, cast("list[CaseData]", cases), results)
    outcomes = [_outcome(r) for r in results]
    accepted = sum(isinstance(o, CaseIngested) for o in outcomes)
    return IngestCasesResult(
        accepted_count=accepted, rejected_count=len(outcomes) - accepted, results=outcomes
    )
