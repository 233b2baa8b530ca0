"""Audited access to a rater's contact, for callbacks (回访) and reminder calls.

A bad rating that becomes a case's effective rating opens a work item for the case's
department (services.work_items); the sweep opens a reminder call (提醒电话) for it when the
case is not rated in time (services.reminder_calls). While either is open, that
department's handlers, and the admins of the case's region, may reveal the applicant's full
phone number to call: with a reason, and every attempt (granted or refused) goes to the
append-only audit log, which area admins read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models.db import as_utc
from models.stores import calls as store
from services.cases import visible_to
from services.identity import Principal, Role
from services.paging import check_first, decode_cursor, encode_cursor, row_id, split_page
from services.vault import Vault

REASON_MIN, REASON_MAX = 4, 200
REVEAL = "reveal_contact"
_CURSOR = "audit"

REVEAL_REFUSALS = {
    "NOT_FOUND": "没有找到这项办件，或无权查看",
    "REASON_REQUIRED": f"请说明查看完整联系电话的原因（{REASON_MIN}-{REASON_MAX} 字）",
    "NO_OPEN_CALLBACK": "这项办件没有本部门正在进行的差评回访或提醒电话，不能查看完整联系电话",
    "NO_CONTACT": "办件申请人没有留下联系电话",
}


@dataclass(frozen=True)
class Revealed:
    case_no: str
    phone: str


@dataclass(frozen=True)
class RevealRefusal:
    code: str
    message: str


@dataclass(frozen=True)
class AuditView:
    id: int
    at: datetime
    action: str
    outcome: str
    actor_role: str
    actor_subject: str
    actor_department_code: str | None
    case_no: str
    reason: str


@dataclass(frozen=True)
class AuditPage:
    nodes: list[AuditView]
    has_next_page: bool
    end_cursor: str | None


async def reveal_contact(
    *, case_no: str, reason: str, viewer: Principal, vault: Vault, now: datetime
) -> Revealed | RevealRefusal:
    """The applicant's full phone for a department handler or area admin with an open
    callback or reminder call on the case; every attempt is audited in the same
    transaction."""
    reason = reason.strip()
    scope = visible_to(viewer, vault)
    async with in_transaction() as conn:
        # The case is found whoever asks, so that an attempt on another department's case
        # is audited against that case (its region's admins see it); `visible` decides.
        case = await store.case_contact(conn, case_no, scope)
        code = await _refusal(conn, case, reason, viewer)
        case_id = int(case["id"]) if case else None
        await audit(conn, viewer, case_no, case_id, reason, code or "REVEALED", now)
    if code is not None:
        return RevealRefusal(code, REVEAL_REFUSALS[code])
    assert case is not None
    phone = vault.open(case["phone_enc"], "applicant.phone", case["key_id"])
    return Revealed(case_no=case_no, phone=phone)


async def _refusal(
    conn: BaseDBAsyncClient, case: dict[str, Any] | None, reason: str, viewer: Principal
) -> str | None:
    if case is None or not case["visible"]:
        return "NOT_FOUND"
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        return "REASON_REQUIRED"
    if not await store.call_open(conn, int(case["id"]), own_department(viewer)):
        return "NO_OPEN_CALLBACK"
    if not case["phone_enc"]:
        return "NO_CONTACT"
    return None


def own_department(viewer: Principal) -> str | None:
    """The department whose calls alone the viewer works (a handler's own); None: every
    call in the viewer's scope (region admins, whose scope is the case's region)."""
    return viewer.department_code if viewer.role is Role.DEPT_HANDLER else None


async def audit(
    conn: BaseDBAsyncClient,
    viewer: Principal,
    case_no: str,
    case_id: int | None,
    reason: str,
    outcome: str,
    now: datetime,
    *,
    action: str = REVEAL,
) -> None:
    """One row of the audit log, written in the caller's transaction."""
    await store.write_audit(
        conn,
        {
            "at": now.astimezone(UTC),
            "action": action,
            "outcome": outcome,
            "actor_role": viewer.role.value,
            "actor_subject": viewer.subject[:100],
            "actor_department_code": viewer.department_code,
            "actor_region_code": viewer.region_code,
            "case_id": case_id,
            "case_no": case_no[:64],
            "reason": reason[:REASON_MAX],
        },
    )


async def audit_log(*, viewer: Principal, vault: Vault, first: int, after: str | None) -> AuditPage:
    """Audit entries about the cases of the admin's region (and its sub-regions), newest
    first; attempts on case numbers that match no case are shown to the admin of the
    region the actor belongs to."""
    check_first(first)
    before = decode_cursor(after, _CURSOR, row_id)[0] if after else None
    rows = await store.audit_page(visible_to(viewer, vault), viewer.region_code, before, first + 1)
    page, more = split_page(rows, first)
    nodes = [
        AuditView(
            id=int(r["id"]),
            at=_at(r["at"]),
            action=r["action"],
            outcome=r["outcome"],
            actor_role=r["actor_role"],
            actor_subject=r["actor_subject"],
            actor_department_code=r["actor_department_code"],
            case_no=r["case_no"],
            reason=r["reason"],
        )
        for r in page
    ]
    end = encode_cursor(_CURSOR, nodes[-1].id) if nodes else None
    return AuditPage(nodes=nodes, has_next_page=more, end_cursor=end)


def _at(value: Any) -> datetime:
    moment = as_utc(value)
    assert moment is not None  # NOT NULL column
    return moment
