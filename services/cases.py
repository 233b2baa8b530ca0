"""Reading cases: "my cases" for citizens and one case for whoever may see it, with the
applicant's data as the viewer may see it (models.stores.cases reads them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from models.db import as_utc
from models.enums import ApplicantKind, CaseStatus, MatterType, RatingStatus, ServedVia
from models.stores import cases as store
from models.stores.cases import Among
from models.stores.scope import Reach, Scope
from rules import MASKED_FIELDS, Engine, apply_mask
from services.identity import Principal, Role
from services.paging import (
    check_first,
    decode_cursor,
    encode_cursor,
    moment,
    row_id,
    split_page,
)
from services.vault import Vault

_CURSOR = "case"


@dataclass(frozen=True)
class Named:
    code: str
    name: str


PERSONAL_FIELDS = MASKED_FIELDS  # the fields the policy masks (rules.yaml masking)
Masks = dict[str, Any]  # personal field -> the policy's pattern for this viewer
UNMASKED: Masks = dict.fromkeys(PERSONAL_FIELDS, "full")


class PersonalData:
    """An applicant's data as one viewer may see it: in full for the applicant themself,
    masked or hidden for everyone else as the policy's `masking` section says. A field is
    decrypted on first use, and a hidden one never, so a page that does not show it costs
    no decryption."""

    def __init__(self, vault: Vault, row: dict[str, Any], masks: Masks) -> None:
        self._vault = vault
        self._key_id = row["key_id"]
        self._sealed = {
            "name": row["name_enc"],
            "id_number": row["id_number_enc"],
            "phone": row["phone_enc"],
        }
        self._masks = masks

    def _shown(self, field: str) -> str | None:
        pattern, sealed = self._masks.get(field), self._sealed[field]
        if pattern in (None, "hidden") or not sealed:
            return None
        return apply_mask(pattern, self._vault.open(sealed, f"applicant.{field}", self._key_id))

    @cached_property
    def name(self) -> str | None:
        return self._shown("name")

    @cached_property
    def id_number(self) -> str | None:
        return self._shown("id_number")

    @cached_property
    def phone(self) -> str | None:
        return self._shown("phone")


def masks_for(viewer: Principal, engine: Engine) -> Masks:
    """The policy's pattern for each personal field for this viewer's role (the rules
    engine decides, once per policy and role; a role the policy does not name sees
    nothing)."""
    return {field: engine.mask(viewer.role.value, field).value.pattern for field in PERSONAL_FIELDS}


@dataclass(frozen=True)
class CaseView:
    id: int
    case_no: str
    status: CaseStatus
    served_via: ServedVia
    accepted_at: datetime
    completed_at: datetime | None
    matter: Named
    matter_type: MatterType
    department: Named
    region_code: str
    window: Named | None
    staff: Named | None
    batch_no: str | None
    integrated_service: Named | None
    applicant_kind: ApplicantKind
    personal: PersonalData
    rating_status: RatingStatus
    has_rating: bool
    # Since when the case's bad-rating work item waits for the rater to rate the fix (追评).
    follow_up_since: datetime | None = None


@dataclass(frozen=True)
class CasePage:
    nodes: list[CaseView]
    has_next_page: bool
    end_cursor: str | None
    total: int | None = None  # when asked for: every case of the viewer (with the status)


async def my_cases(
    *,
    viewer: Principal,
    vault: Vault,
    first: int,
    after: str | None,
    among: Among | None = None,
    with_total: bool = False,
) -> CasePage:
    """A page of the viewer's cases; `with_total` counts all of them in the same statement
    (one round trip instead of two for the usual "my cases" screen)."""
    check_first(first)
    before = decode_cursor(after, _CURSOR, moment, row_id) if after else None
    rows = await store.applicant_cases(
        _viewer_hash(viewer, vault),
        among=among or Among(),
        before=before,
        limit=first + 1,
        with_total=with_total,
    )
    # Every row is the viewer's own (the WHERE says so): their own data, unmasked, and the
    # same applicant on every row, so it is decrypted once per page, not once per case.
    page, more = split_page(rows, first)
    nodes = []
    if rows:
        personal = PersonalData(vault, rows[0], UNMASKED)
        nodes = [_view(row, personal) for row in page]
    end = encode_cursor(_CURSOR, nodes[-1].accepted_at, nodes[-1].id) if nodes else None
    total = None
    if with_total:
        # An empty page (no cases, or a cursor past the end) carries no count with it.
        total = (
            int(rows[0]["total"])
            if rows
            else await count_my_cases(viewer=viewer, vault=vault, among=among)
        )
    return CasePage(nodes=nodes, has_next_page=more, end_cursor=end, total=total)


async def count_my_cases(*, viewer: Principal, vault: Vault, among: Among | None = None) -> int:
    return await store.count_applicant_cases(_viewer_hash(viewer, vault), among or Among())


def among(
    status: RatingStatus | None,
    statuses: tuple[RatingStatus, ...] = (),
    ids: list[int] | None = None,
) -> Among:
    """Which of the viewer's cases: with `status` (if given) and one of `statuses` (if any),
    only those with `ids` (if given)."""
    wanted = tuple(s.value for s in statuses)
    if status is not None:
        wanted = (status.value,) if not wanted or status.value in wanted else ()
        if not wanted:
            return Among(ids=())
    return Among(statuses=wanted, ids=tuple(ids) if ids is not None else None)


async def find_case(
    *, case_no: str, viewer: Principal, vault: Vault, engine: Engine
) -> CaseView | None:
    """The case, or None when it does not exist or the viewer may not see it (the two are
    not told apart, so case numbers cannot be probed)."""
    row = await store.case_in_scope(case_no, visible_to(viewer, vault))
    if row is None:
        return None
    own = viewer.role is Role.CITIZEN and _viewer_hash(viewer, vault) == row["id_number_hash"]
    return _view(row, PersonalData(vault, row, UNMASKED if own else masks_for(viewer, engine)))


def visible_to(viewer: Principal, vault: Vault) -> Scope:
    """The cases this viewer may see."""
    if viewer.role is Role.SYSTEM:
        return Scope(Reach.ALL)
    if viewer.role is Role.CITIZEN:
        return Scope(Reach.APPLICANT, _viewer_hash(viewer, vault))
    if viewer.role in (Role.WINDOW_STAFF, Role.DEPT_HANDLER):
        return Scope(Reach.DEPARTMENT, viewer.department_code)
    if viewer.role in (Role.AREA_ADMIN, Role.HOTLINE_OPERATOR):
        return Scope(Reach.REGION, viewer.region_code)
    return Scope(Reach.NONE)


def _view(row: dict[str, Any], personal: PersonalData) -> CaseView:
    accepted = as_utc(row["accepted_at"])
    assert accepted is not None
    return CaseView(
        id=int(row["id"]),
        case_no=row["case_no"],
        status=CaseStatus(row["status"]),
        served_via=ServedVia(row["served_via"]),
        accepted_at=accepted,
        completed_at=as_utc(row["completed_at"]),
        matter=Named(row["matter_code"], row["matter_name"]),
        matter_type=MatterType(row["matter_type"]),
        department=Named(row["department_code"], row["department_name"]),
        region_code=row["region_code"],
        window=Named(row["window_code"], row["window_name"]) if row["window_code"] else None,
        staff=Named(row["staff_code"], row["staff_name"]) if row["staff_code"] else None,
        batch_no=row["batch_no"],
        integrated_service=(
            Named(row["service_no"], row["service_name"]) if row["service_no"] else None
        ),
        applicant_kind=ApplicantKind(row["applicant_kind"]),
        personal=personal,
        rating_status=RatingStatus(row["rating_status"]),
        has_rating=row["effective_rating_id"] is not None,
        follow_up_since=as_utc(row.get("follow_up_since")),
    )


def _viewer_hash(viewer: Principal, vault: Vault) -> str:
    return vault.lookup_hash(viewer.id_number or "")
