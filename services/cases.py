"""Reading cases: "my cases" for citizens and one case for whoever may see it.

One SQL statement per page (joins, keyset pagination on the applicant index) so a page
costs the same at a million cases as at a hundred.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from models.db import as_utc, connection, fetch
from models.enums import ApplicantKind, CaseStatus, MatterType, RatingStatus, ServedVia
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


@dataclass(frozen=True)
class CasePage:
    nodes: list[CaseView]
    has_next_page: bool
    end_cursor: str | None
    total: int | None = None  # when asked for: every case of the viewer (with the status)


_COLUMNS = """
SELECT c.id, c.case_no, c.status, c.served_via, c.accepted_at, c.completed_at,
       c.rating_status, c.effective_rating_id,
       m.code AS matter_code, m.name AS matter_name, m.type AS matter_type,
       d.code AS department_code, d.name AS department_name, r.code AS region_code,
       w.code AS window_code, w.name AS window_name, s.code AS staff_code, s.name AS staff_name,
       b.batch_no, i.service_no, i.name AS service_name,
       a.kind AS applicant_kind, a.id_number_hash, a.name_enc, a.id_number_enc, a.phone_enc,
       a.key_id
"""
_FROM = """
FROM case_record c
JOIN matter m ON m.id = c.matter_id
JOIN department d ON d.id = c.department_id
JOIN region r ON r.id = c.region_id
JOIN applicant a ON a.id = c.applicant_id
LEFT JOIN service_window w ON w.id = c.window_id
LEFT JOIN staff s ON s.id = c.staff_id
LEFT JOIN batch b ON b.id = c.batch_id
LEFT JOIN integrated_service i ON i.id = c.integrated_service_id
"""
_SELECT = _COLUMNS + _FROM

_APPLICANT = "{t}.applicant_id = (SELECT id FROM applicant WHERE id_number_hash = ?)"


async def my_cases(
    *,
    viewer: Principal,
    vault: Vault,
    first: int,
    after: str | None,
    status: RatingStatus | None = None,
    with_total: bool = False,
) -> CasePage:
    """A page of the viewer's cases; `with_total` counts all of them in the same statement
    (one round trip instead of two for the usual "my cases" screen)."""
    check_first(first)
    where, args = _mine(viewer, vault, status)
    total_sql, total_args = "", list[Any]()
    if with_total:
        mine, total_args = _mine(viewer, vault, status, table="x")
        total_sql = f", (SELECT COUNT(*) FROM case_record x WHERE {mine}) AS total"  # noqa: S608
    if after:
        accepted_at, case_id = decode_cursor(after, _CURSOR, moment, row_id)
        where += " AND (c.accepted_at < ? OR (c.accepted_at = ? AND c.id < ?))"
        args += [accepted_at, accepted_at, case_id]
    rows = await fetch(
        connection(),
        f"{_COLUMNS}{total_sql}{_FROM} WHERE {where} "
        "ORDER BY c.accepted_at DESC, c.id DESC LIMIT ?",
        [*total_args, *args, first + 1],
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
            else await count_my_cases(viewer=viewer, vault=vault, status=status)
        )
    return CasePage(nodes=nodes, has_next_page=more, end_cursor=end, total=total)


async def count_my_cases(
    *, viewer: Principal, vault: Vault, status: RatingStatus | None = None
) -> int:
    where, args = _mine(viewer, vault, status)
    rows = await fetch(
        connection(),
        f"SELECT COUNT(*) AS n FROM case_record c WHERE {where}",  # noqa: S608
        args,
    )
    return int(rows[0]["n"])


def _mine(
    viewer: Principal, vault: Vault, status: RatingStatus | None, table: str = "c"
) -> tuple[str, list[Any]]:
    where, args = _APPLICANT.format(t=table), [vault.lookup_hash(viewer.id_number or "")]
    if status is not None:
        where += f" AND {table}.rating_status = ?"
        args.append(status.value)
    return where, args


async def find_case(
    *, case_no: str, viewer: Principal, vault: Vault, engine: Engine
) -> CaseView | None:
    """The case, or None when it does not exist or the viewer may not see it (the two are
    not told apart, so case numbers cannot be probed)."""
    scope, scope_args = visible_to(viewer, vault)
    rows = await fetch(
        connection(), f"{_SELECT} WHERE c.case_no = ? AND {scope}", [case_no, *scope_args]
    )
    if not rows:
        return None
    row = rows[0]
    own = viewer.role is Role.CITIZEN and _viewer_hash(viewer, vault) == row["id_number_hash"]
    return _view(row, PersonalData(vault, row, UNMASKED if own else masks_for(viewer, engine)))


def visible_to(viewer: Principal, vault: Vault) -> tuple[str, Sequence[Any]]:
    """SQL condition (over `c` = case_record, `d` = its department) and arguments: the
    cases this viewer may see."""
    if viewer.role is Role.SYSTEM:
        return "1 = 1", ()
    if viewer.role is Role.CITIZEN:
        return _APPLICANT.format(t="c"), (vault.lookup_hash(viewer.id_number or ""),)
    if viewer.role in (Role.WINDOW_STAFF, Role.DEPT_HANDLER):
        return "d.code = ?", (viewer.department_code,)
    if viewer.role in (Role.AREA_ADMIN, Role.HOTLINE_OPERATOR):
        return (
            "c.region_id IN (WITH RECURSIVE sub(id) AS (SELECT id FROM region WHERE code = ? "
            "UNION SELECT r2.id FROM region r2 JOIN sub ON r2.parent_id = sub.id) "
            "SELECT id FROM sub)",
            (viewer.region_code,),
        )
    return "1 = 0", ()


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
    )


def _viewer_hash(viewer: Principal, vault: Vault) -> str:
    return vault.lookup_hash(viewer.id_number or "")
