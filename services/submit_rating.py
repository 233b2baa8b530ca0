"""Rating a case, a batch or a one-thing service: who may, what the policy says it means,
which cases it applies to, and which rating is now effective on each.

Every policy question goes to the rules engine (level, tags and reason, the late-rating
window, what a second rating does, scope); this module only finds the cases, checks who
is asking, and writes the outcome in one transaction with the cases locked.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models.db import as_utc, dialect, execute, fetch, row_source, unnest_source, values_rows
from models.enums import Channel, RatingStatus
from rules import Decision, Engine
from services.abuse import ALLOW, Guard
from services.callbacks import BAD, open_callbacks
from services.pads import pad_may_rate

TARGETS = ("case", "batch", "integrated_service")
MAX_TEXT = 500


@dataclass(frozen=True)
class Rater:
    """Who submits: `key` identifies them for idempotency (a hash, never an ID number)."""

    role: str
    key: str
    applicant_hash: str | None = None
    staff_code: str | None = None
    pad_window_code: str | None = None
    pad_rating_window: timedelta | None = None
    phone_hash: str | None = None


@dataclass(frozen=True)
class Submission:
    target: str
    number: str
    level: int
    channel: Channel
    tags: tuple[str, ...] = ()
    comment: str | None = None
    client_request_id: str | None = None


@dataclass(frozen=True)
class StoredRating:
    id: int
    level: int
    category: str
    tags: list[str]
    comment: str | None
    channel: str
    rated_at: str


@dataclass(frozen=True)
class Accepted:
    rating: StoredRating
    applies_to: list[str]
    rules_version: str
    fired_rules: list[str]


@dataclass(frozen=True)
class Rejected:
    code: str
    message: str


Result = Accepted | Rejected

MESSAGES = {
    "NOT_FOUND": "没有找到这项办件",
    "NOT_RATER": "只有办件的申请人可以评价；经办工作人员不能评价自己办理的办件",
    "CASE_NOT_COMPLETED": "办件还没有办结，办结后才能评价",
    "INVALID_LEVEL": "评价等级无效",
    "INVALID_TAG": "所选的原因不在本等级可选范围内",
    "REASON_REQUIRED": "差评请选择原因或填写文字说明",
    "RATING_WINDOW_CLOSED": "已超过补充评价期限",
    "ALREADY_RATED": "这项办件已经评价过了",
    "RATE_EACH_MEMBER": "这项一件事服务需要对每个事项分别评价",
    "TOO_LONG": f"文字评价最多 {MAX_TEXT} 字",
    "RATE_LIMITED": "评价过于频繁，请稍后再试",
}


def rejected(code: str) -> Rejected:
    return Rejected(code, MESSAGES[code])


@dataclass(frozen=True)
class _Case:
    id: int
    case_no: str
    completed_at: datetime | None
    applicant_hash: str
    staff_code: str | None
    batch_id: int | None
    service_id: int | None
    rating_status: str
    effective_target: str | None
    window_code: str | None
    phone_hash: str | None


async def submit_rating(
    submission: Submission,
    rater: Rater,
    *,
    engine: Engine,
    now: datetime,
    guard: Guard | None = None,
) -> Result:
    """One transaction: claim the idempotency key (a concurrent retry waits on it and then
    replays the first answer), lock the cases, decide, write."""
    if submission.comment and len(submission.comment) > MAX_TEXT:
        return rejected("TOO_LONG")
    async with in_transaction() as conn:
        if dialect(conn) == "postgres":
            await execute(conn, GENERIC_PLANS_SQL)
        key = submission.client_request_id
        answer = (rater.key, key) if key else None
        if answer and not await _claim(conn, *answer, now):
            replay = await _replay(conn, *answer)
            if replay is not None:
                return replay
        result, answered = await _decide_and_write(
            conn, submission, rater, engine=engine, now=now, answer=answer, guard=guard
        )
        if answer and not answered:
            await _answer(conn, *answer, result)
        return result


# The rating's statements have one good plan whatever the case. PostgreSQL would otherwise
# plan the write (an INSERT from unnest() with three UPDATEs in one WITH) afresh on every
# execution: with the rating's SQL alone at c=4 (bench/sql_alone.py, whose job option
# "custom_plans" leaves this statement out), 1,000,000 cases: 1.04-1.07 -> 0.81 ms of
# machine CPU a rating, 1,517-1,577 -> 1,838-1,880 ratings/s.
# LOCAL: the pooled connection goes back with the session default.
GENERIC_PLANS_SQL = "SET LOCAL plan_cache_mode = force_generic_plan"


async def _decide_and_write(
    conn: BaseDBAsyncClient,
    submission: Submission,
    rater: Rater,
    *,
    engine: Engine,
    now: datetime,
    answer: tuple[str, str] | None,
    guard: Guard | None,
) -> tuple[Result, bool]:
    """The result, and whether the idempotency answer was written with it."""
    found = await _target_cases(conn, submission)
    targets = (
        [c for c in found if c.case_no == submission.number]
        if submission.target == "case"
        else found
    )
    if not targets:
        return rejected("NOT_FOUND"), False
    problem = _who_and_when(targets, rater, now)
    if problem:
        return problem, False
    anchor = targets[0]
    verdict = await guard(anchor.window_code) if guard is not None else ALLOW
    if verdict.refused_by is not None:
        return rejected("RATE_LIMITED"), False
    scope = engine.evaluate(
        "scope",
        {
            "target": submission.target,
            "in_batch": anchor.batch_id is not None,
            "in_integrated_service": anchor.service_id is not None,
        },
    )
    if scope.outcome.get("code"):
        return rejected(str(scope.outcome["code"])), False
    cases = _applies_to(submission, found, targets, anchor, scope)
    decision = engine.evaluate(
        "rating",
        {
            "level": submission.level,
            "channel": submission.channel.value,
            "tags": list(submission.tags),
            "comment": submission.comment or "",
            "completed_at": anchor.completed_at,
            "rated_at": now,
            "prior": _prior(anchor, engine, now),
        },
    )
    if not decision.outcome["accepted"]:
        return rejected(str(decision.outcome["code"])), False
    fired = list(dict.fromkeys([*scope.fired, *decision.fired, *verdict.rules]))
    return await _write(
        conn, submission, rater, cases, decision, scope, fired, now, answer, verdict.hold
    )


def _who_and_when(targets: Sequence[_Case], rater: Rater, now: datetime) -> Rejected | None:
    for case in targets:
        if rater.role == "pad" and not _pad_may_rate(case, rater, now):
            return rejected("NOT_RATER")
        if rater.role == "sms" and (
            rater.phone_hash is None or rater.phone_hash != case.phone_hash
        ):
            return rejected("NOT_RATER")
        if rater.staff_code is not None and rater.staff_code == case.staff_code:
            return rejected("NOT_RATER")
        if rater.role == "citizen" and rater.applicant_hash != case.applicant_hash:
            return rejected("NOT_RATER")
        if case.completed_at is None:
            return rejected("CASE_NOT_COMPLETED")
    return None


def _pad_may_rate(case: _Case, rater: Rater, now: datetime) -> bool:
    return pad_may_rate(
        case_window=case.window_code,
        completed_at=case.completed_at,
        pad_window=rater.pad_window_code,
        within=rater.pad_rating_window or timedelta(0),
        now=now,
    )


def _prior(case: _Case, engine: Engine, now: datetime) -> str:
    """What the case already has. A default rating that has fallen due counts as given
    even before the sweep has written it: the policy's 7 days do not stretch to the sweep."""
    if case.rating_status == RatingStatus.RATED.value:
        return "rating"
    if case.rating_status == RatingStatus.DEFAULTED.value:
        return "default"
    if case.rating_status == RatingStatus.UNRATED.value and case.completed_at is not None:
        due = engine.evaluate("case_deadlines", {"completed_at": case.completed_at})
        default_at = due.outcome.get("default_at")
        if isinstance(default_at, datetime) and default_at <= now:
            return "default"
    return "none"


_CASE_SELECT = """
SELECT c.id, c.case_no, c.completed_at, a.id_number_hash, s.code AS staff_code,
       c.batch_id, c.integrated_service_id, c.rating_status, e.target AS effective_target,
       w.code AS window_code, a.phone_hash
"""
_CASE_JOINS = """
JOIN applicant a ON a.id = c.applicant_id
LEFT JOIN staff s ON s.id = c.staff_id
LEFT JOIN service_window w ON w.id = c.window_id
LEFT JOIN rating e ON e.id = c.effective_rating_id
"""
_GROUPS = {
    "batch": "WHERE c.batch_id = (SELECT id FROM batch WHERE batch_no = ?)",
    "integrated_service": (
        "WHERE c.integrated_service_id = (SELECT id FROM integrated_service WHERE service_no = ?)"
    ),
}
# A case and the rest of its batch. Written as the first table of the join (the joins run
# in the order written, see models.db), so both halves are index lookups.
_CASE_AND_BATCH = """
FROM (SELECT id FROM case_record WHERE case_no = ?
      UNION SELECT m.id FROM case_record t JOIN case_record m ON m.batch_id = t.batch_id
      WHERE t.case_no = ?) AS pick
JOIN case_record c ON c.id = pick.id
"""


def _cases(rows: list[dict[str, Any]]) -> list[_Case]:
    return [
        _Case(
            int(r["id"]),
            r["case_no"],
            as_utc(r["completed_at"]),
            r["id_number_hash"],
            r["staff_code"],
            r["batch_id"],
            r["integrated_service_id"],
            r["rating_status"],
            r["effective_target"],
            r["window_code"],
            r["phone_hash"],
        )
        for r in rows
    ]


async def _target_cases(conn: BaseDBAsyncClient, submission: Submission) -> list[_Case]:
    """The target's cases, read and locked in one statement (PostgreSQL; SQLite serialises
    write transactions). A case comes with the rest of its batch, which a rating may fan out
    to: taking every lock at once, in id order, means two ratings of one batch queue
    instead of deadlocking."""
    lock = _LOCK if dialect(conn) == "postgres" else ""
    if submission.target == "case":
        source, where, args = _CASE_AND_BATCH, "", [submission.number, submission.number]
    else:
        source, where, args = "FROM case_record c", _GROUPS[submission.target], [submission.number]
    rows = await fetch(conn, _read_sql(source, where, lock), args)
    return _cases(rows)


def _read_sql(source: str, where: str, lock: str) -> str:
    return f"{_CASE_SELECT}{source}{_CASE_JOINS}{where} ORDER BY c.id{lock}"


_LOCK = " FOR UPDATE OF c"
# What rating one case reads on PostgreSQL (arguments: the case number twice).
READ_CASE_SQL = _read_sql(_CASE_AND_BATCH, "", _LOCK)


def _applies_to(
    submission: Submission,
    found: list[_Case],
    targets: list[_Case],
    anchor: _Case,
    scope: Decision,
) -> list[_Case]:
    applies = scope.outcome.get("applies_to", "case")
    if applies == "batch" and submission.target == "case" and anchor.batch_id is not None:
        return [c for c in found if c.batch_id == anchor.batch_id]
    return targets


async def _write(
    conn: BaseDBAsyncClient,
    submission: Submission,
    rater: Rater,
    cases: list[_Case],
    decision: Decision,
    scope: Decision,
    fired: list[str],
    now: datetime,
    answer: tuple[str, str] | None,
    held: bool,
) -> tuple[Accepted, bool]:
    """`held`: the anti-abuse check holds this rating for review: stored, not counted."""
    act_id = str(uuid.uuid4())
    rated_at = now.astimezone(UTC)
    rows = [
        [
            case.id,
            act_id,
            submission.target,
            submission.level,
            decision.outcome["category"],
            json.dumps(list(submission.tags)),
            submission.comment or None,
            submission.channel.value,
            rater.role,
            rater.key,
            rated_at,
            _becomes_effective(submission, case, scope) and not held,
            held or bool(decision.outcome.get("held_for_review")),
            decision.version,
            json.dumps(fired),
        ]
        for case in cases
    ]
    stored = StoredRating(
        id=0,  # filled in below from the database
        level=submission.level,
        category=str(decision.outcome["category"]),
        tags=list(submission.tags),
        comment=submission.comment or None,
        channel=submission.channel.value,
        rated_at=rated_at.isoformat(),
    )
    accepted = Accepted(stored, [c.case_no for c in cases], decision.version, fired)
    if dialect(conn) == "postgres":
        first_id = await _write_postgres(conn, act_id, rows, accepted, answer)
        answered = answer is not None
    else:
        first_id, answered = await _write_portable(conn, act_id, rows), False
    if stored.category == BAD:
        await open_callbacks(conn, act_id, now)  # 差评: the department must call back
    return _with_id(accepted, first_id), answered


async def _write_portable(conn: BaseDBAsyncClient, act_id: str, rows: list[list[Any]]) -> int:
    """Ratings, displaced ratings and cases in three statements (SQLite); returns the
    first new rating's id."""
    written = await fetch(
        conn,
        f"INSERT INTO rating ({_RATING_COLUMNS}) "  # noqa: S608
        f"VALUES {values_rows(len(_RATING_TYPES), len(rows))} RETURNING id, case_id, effective",
        [v for row in rows for v in row],
    )
    effective = {int(r["case_id"]): int(r["id"]) for r in written if r["effective"]}
    if effective:
        marks = ", ".join("?" * len(effective))
        await execute(
            conn,
            f"UPDATE rating SET effective = ? WHERE case_id IN ({marks}) "  # noqa: S608
            "AND act_id <> ? AND effective = ?",
            [False, *effective, act_id, True],
        )
        for case_id, rating_id in effective.items():
            await execute(
                conn,
                "UPDATE case_record SET effective_rating_id = ?, rating_status = ? WHERE id = ?",
                [rating_id, RatingStatus.RATED.value, case_id],
            )
    return min(int(r["id"]) for r in written)


_RATING_COLUMNS = (
    "case_id, act_id, target, level, category, tags, comment, channel, rater_role, rater_key, "
    "rated_at, effective, held_for_review, rules_version, fired_rules"
)
_RATING_TYPES = (
    "bigint",
    "text",
    "text",
    "int",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "timestamptz",
    "boolean",
    "boolean",
    "text",
    "text",
)


async def _write_postgres(
    conn: BaseDBAsyncClient,
    act_id: str,
    rows: list[list[Any]],
    accepted: Accepted,
    answer: tuple[str, str] | None,
) -> int:
    """The ratings, the displaced ratings, the cases and the idempotency answer in one
    statement (one round trip instead of four); returns the first new rating's id."""
    _source, args = row_source(conn, _RATING_TYPES, rows)  # one array per column
    rater_key, request_id = answer or ("", "")
    body = json.dumps({"type": "Accepted", **asdict(accepted)})
    found = await fetch(
        conn, WRITE_SQL, [*args, act_id, RatingStatus.RATED.value, body, rater_key, request_id]
    )
    return int(found[0]["id"])


_UNNEST = unnest_source(_RATING_TYPES)
# Arguments: one array per rating column (_RATING_COLUMNS), the act id, the RATED status,
# the answer's JSON, the rater key and the client request id.
WRITE_SQL = (
    f"WITH ins AS (INSERT INTO rating ({_RATING_COLUMNS}) {_UNNEST} "  # noqa: S608
    "RETURNING id, case_id, effective), "
    "displaced AS (UPDATE rating r SET effective = FALSE "
    "WHERE r.case_id IN (SELECT case_id FROM ins WHERE effective) "
    "AND r.act_id <> ? AND r.effective), "
    "cases AS (UPDATE case_record c SET effective_rating_id = ins.id, rating_status = ? "
    "FROM ins WHERE c.id = ins.case_id AND ins.effective), "
    "answered AS (UPDATE rating_request SET response = jsonb_set(?::jsonb, "
    "'{rating,id}', to_jsonb((SELECT min(id) FROM ins)))::text "
    "WHERE rater_key = ? AND client_request_id = ?) "
    "SELECT min(id) AS id FROM ins"
)


def _with_id(accepted: Accepted, rating_id: int) -> Accepted:
    return replace(accepted, rating=replace(accepted.rating, id=rating_id))


def _becomes_effective(submission: Submission, case: _Case, scope: Decision) -> bool:
    """A one-thing rating does not displace a member's own rating where members win."""
    return not (
        submission.target == "integrated_service"
        and scope.outcome.get("when_both") == "member_wins"
        and case.effective_target == "case"
    )


CLAIM_SQL = (
    "INSERT INTO rating_request (rater_key, client_request_id, response, created_at) "
    "VALUES (?, ?, ?, ?) ON CONFLICT (rater_key, client_request_id) DO NOTHING RETURNING id"
)


async def _claim(conn: BaseDBAsyncClient, rater_key: str, request_id: str, now: datetime) -> bool:
    rows = await fetch(conn, CLAIM_SQL, [rater_key, request_id, "", now.astimezone(UTC)])
    return bool(rows)


async def _replay(conn: BaseDBAsyncClient, rater_key: str, request_id: str) -> Result | None:
    rows = await fetch(
        conn,
        "SELECT response FROM rating_request WHERE rater_key = ? AND client_request_id = ?",
        [rater_key, request_id],
    )
    return _load(rows[0]["response"]) if rows and rows[0]["response"] else None


async def _answer(conn: BaseDBAsyncClient, rater_key: str, request_id: str, result: Result) -> None:
    body = json.dumps({"type": type(result).__name__, **asdict(result)})
    await execute(
        conn,
        "UPDATE rating_request SET response = ? WHERE rater_key = ? AND client_request_id = ?",
        [body, rater_key, request_id],
    )


def _load(body: str) -> Result:
    data = json.loads(body)
    kind = data.pop("type")
    if kind == "Rejected":
        return Rejected(**data)
    return Accepted(
        rating=StoredRating(**data["rating"]),
        applies_to=data["applies_to"],
        rules_version=data["rules_version"],
        fired_rules=data["fired_rules"],
    )
