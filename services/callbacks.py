"""Callbacks (回访) and audited access to a rater's contact.

A bad rating that becomes a case's effective rating opens a callback for the case's
department; the sweep opens a reminder call (提醒电话) for it when the case is not rated in
time (services.reminder_calls). While either is open, that department's handlers, and the
admins of the case's region, may reveal the applicant's full phone number to call: with a
reason, and every attempt (granted or refused) goes to the append-only audit log, which
area admins read. A callback lives as long as the case's effective rating is bad: after
every accepted rating, settle_callbacks opens or closes the callbacks of its cases. The
bad-review loop (later) will close callbacks that were made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models.db import as_utc, connection, dialect, execute, fetch
from models.enums import CallbackCloseReason, CallbackStatus, RatingStatus, ReminderCallStatus
from services.cases import visible_to
from services.identity import Principal, Role
from services.paging import check_first, decode_cursor, encode_cursor, row_id, split_page
from services.vault import Vault

BAD = "bad"  # the rules format's word for the 差评 category (rules.spec.Level.category)
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


# The cases a rating act (`act_id`) was written for, each with its effective rating now and
# whether that is bad; a case whose rating is held for review has none, and so no callback.
# Written from the act's own ratings (index on act_id): our connections join in the order
# written (models.db), and starting from case_record scanned every case on every rating
# (18 ms at 40,000 cases, CPU-bound: make bench SCALE=small fell from ~650 to 12 ratings/s).
_SETTLED = (
    "SELECT c.id, c.department_id, e.id AS rating_id, e.category = ? AS bad "
    "FROM rating n JOIN case_record c ON c.id = n.case_id "
    "JOIN rating e ON e.id = c.effective_rating_id WHERE n.act_id = ?"
)
_CLOSE = (
    "UPDATE callback SET status = ?, closed_at = ?, close_reason = ? WHERE status = ? "
    "AND case_id IN (SELECT id FROM settled WHERE NOT bad)"
)
_OPEN = (
    "INSERT INTO callback (case_id, department_id, rating_id, status, opened_at) "
    "SELECT s.id, s.department_id, s.rating_id, ?, ? FROM settled s WHERE s.bad "
    "AND NOT EXISTS (SELECT 1 FROM callback k WHERE k.case_id = s.id AND k.status = ?)"
)
# PostgreSQL: one statement (one round trip on every rating). The two writes touch
# different cases, so reading one snapshot is enough.
SETTLE_SQL = f"WITH settled AS ({_SETTLED}), closed AS ({_CLOSE} RETURNING 1) {_OPEN}"


async def settle_callbacks(conn: BaseDBAsyncClient, act_id: str, now: datetime) -> None:
    """After a rating act, in its transaction: a callback for each of its cases whose
    effective rating is now bad, unless one is open; the open callbacks of those whose
    effective rating no longer is bad are closed (there is nobody to call back, and the
    phone must not be given out for them). Idempotent."""
    at = now.astimezone(UTC)
    settled = [BAD, act_id]
    close = [
        CallbackStatus.CLOSED.value,
        at,
        CallbackCloseReason.RATING_CHANGED.value,
        CallbackStatus.OPEN.value,
    ]
    open_ = [CallbackStatus.OPEN.value, at, CallbackStatus.OPEN.value]
    if dialect(conn) == "postgres":
        await execute(conn, SETTLE_SQL, [*settled, *close, *open_])
        return
    # SQLite has no UPDATE or INSERT inside WITH: the same statements, one each.
    await execute(conn, f"WITH settled AS ({_SETTLED}) {_CLOSE}", [*settled, *close])
    await execute(conn, f"WITH settled AS ({_SETTLED}) {_OPEN}", [*settled, *open_])


async def reveal_contact(
    *, case_no: str, reason: str, viewer: Principal, vault: Vault, now: datetime
) -> Revealed | RevealRefusal:
    """The applicant's full phone for a department handler or area admin with an open
    callback or reminder call on the case; every attempt is audited in the same
    transaction."""
    reason = reason.strip()
    scope, scope_args = visible_to(viewer, vault)
    async with in_transaction() as conn:
        # The case is found whoever asks, so that an attempt on another department's case
        # is audited against that case (its region's admins see it); `visible` decides.
        rows = await fetch(
            conn,
            f"SELECT c.id, a.phone_enc, a.key_id, CASE WHEN {scope} THEN 1 ELSE 0 END AS visible "  # noqa: S608
            "FROM case_record c JOIN department d ON d.id = c.department_id "
            "JOIN applicant a ON a.id = c.applicant_id WHERE c.case_no = ?",
            [*scope_args, case_no],
        )
        case = rows[0] if rows else None
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
    if not await _call_open(conn, int(case["id"]), viewer):
        return "NO_OPEN_CALLBACK"
    if not case["phone_enc"]:
        return "NO_CONTACT"
    return None


# A reminder call (over `k`, its case `c`) that is still to be made: open, and its case still
# unrated. A case rated (defaulted, expired) since the call was opened needs no reminder, so
# its call gives nobody the phone, even before the next sweep closes it.
LIVE_REMINDER_CALL = "k.status = ? AND c.rating_status = ?"
LIVE_REMINDER_CALL_ARGS = (ReminderCallStatus.OPEN.value, RatingStatus.UNRATED.value)


async def _call_open(conn: BaseDBAsyncClient, case_id: int, viewer: Principal) -> bool:
    """A callback or a live reminder call on the case, open for the viewer's own department
    (handlers); any open one (region admins, whose scope is the case's region)."""
    mine: str = ""
    mine_args: list[Any] = []
    if viewer.role is Role.DEPT_HANDLER:
        mine = " AND k.department_id = (SELECT id FROM department WHERE code = ?)"
        mine_args = [viewer.department_code]
    rows = await fetch(
        conn,
        f"SELECT 1 AS open FROM callback k WHERE k.case_id = ? AND k.status = ?{mine} "  # noqa: S608
        "UNION ALL SELECT 1 FROM reminder_call k JOIN case_record c ON c.id = k.case_id "
        f"WHERE k.case_id = ? AND {LIVE_REMINDER_CALL}{mine}",
        [
            case_id,
            CallbackStatus.OPEN.value,
            *mine_args,
            case_id,
            *LIVE_REMINDER_CALL_ARGS,
            *mine_args,
        ],
    )
    return bool(rows)


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
    await execute(
        conn,
        "INSERT INTO audit_log (at, action, outcome, actor_role, actor_subject, "
        "actor_department_code, actor_region_code, case_id, case_no, reason) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            now.astimezone(UTC),
            action,
            outcome,
            viewer.role.value,
            viewer.subject[:100],
            viewer.department_code,
            viewer.region_code,
            case_id,
            case_no[:64],
            reason[:REASON_MAX],
        ],
    )


async def audit_log(*, viewer: Principal, vault: Vault, first: int, after: str | None) -> AuditPage:
    """Audit entries about the cases of the admin's region (and its sub-regions), newest
    first; attempts on case numbers that match no case are shown to the admin of the
    region the actor belongs to."""
    check_first(first)
    scope, scope_args = visible_to(viewer, vault)
    where = (
        f"(l.case_id IN (SELECT c.id FROM case_record c JOIN department d "  # noqa: S608
        f"ON d.id = c.department_id WHERE {scope}) "
        "OR (l.case_id IS NULL AND l.actor_region_code = ?))"
    )
    args: list[Any] = [*scope_args, viewer.region_code]
    if after:
        where += " AND l.id < ?"
        args += decode_cursor(after, _CURSOR, row_id)
    rows = await fetch(
        connection(),
        "SELECT l.id, l.at, l.action, l.outcome, l.actor_role, l.actor_subject, "  # noqa: S608
        f"l.actor_department_code, l.case_no, l.reason FROM audit_log l WHERE {where} "
        "ORDER BY l.id DESC LIMIT ?",
        [*args, first + 1],
    )
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
