"""Rating a case, a batch or a one-thing service: who may, what the policy says it means,
which cases it applies to, and which rating is now effective on each.

Every policy question goes to the rules engine (level, tags and reason, the late-rating
window, what a second rating does, scope, the anti-abuse limits); this module finds the
cases, checks who is asking, counts the attempt, and writes the outcome in one transaction
with the cases locked. Every channel (GraphQL, the SMS reply, the pad) comes through here.

Order of work: replay a finished answer; read the cases without a lock and refuse what is
not the rater's to rate; count the attempt (Redis, never inside a transaction); then one
transaction that claims the request id, locks the cases, takes the time and writes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models.db import (
    as_utc,
    connection,
    dialect,
    execute,
    fetch,
    row_source,
    unnest_source,
    values_rows,
)
from models.enums import Channel, RatingStatus
from rules import (
    AppliesTo,
    Decided,
    Engine,
    Limits,
    Prior,
    RatingFacts,
    RatingVerdict,
    Reach,
    WhenBoth,
)
from services.abuse import Counters, Verdict, check_misses, check_rating
from services.callbacks import settle_callbacks
from services.pads import pad_may_rate
from services.raters import OWN_ROLES, Rater, normalise_staff_code
from services.ratings import prior

TARGETS = ("case", "batch", "integrated_service")
MAX_TEXT = 500
# An answer that can change later is not kept for the request id: a retry asks again.
_TRANSIENT = frozenset({"RATE_LIMITED", "NOT_FOUND", "CASE_NOT_COMPLETED"})


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


# What became of an accepted rating: it counts; it is held for review (stored, not
# counted); or it is kept in the history while the applicant's own rating stays effective.
EFFECTIVE, HELD, RECORDED = "EFFECTIVE", "HELD", "RECORDED"
STATUS_MESSAGES = {
    EFFECTIVE: "评价已提交，感谢您的评价",
    HELD: "评价已收到，需人工核实后才计入评价结果",
    RECORDED: "评价已记入评价历史；申请人本人的评价仍为有效评价",
}


@dataclass(frozen=True)
class Accepted:
    rating: StoredRating
    applies_to: list[str]
    rules_version: str
    fired_rules: list[str]
    status: str = EFFECTIVE

    @property
    def message(self) -> str:
        return STATUS_MESSAGES[self.status]


@dataclass(frozen=True)
class RatingRefusal:
    code: str
    message: str


Result = Accepted | RatingRefusal

RATING_REFUSALS = {
    "NOT_FOUND": "没有找到这项办件",
    "NOT_RATER": "只有办件的申请人可以评价；经办工作人员不能评价自己办理的办件",
    "STAFF_CODE_REQUIRED": "工作人员账号没有工号，不能代为录入评价",
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


def rejected(code: str) -> RatingRefusal:
    return RatingRefusal(code, RATING_REFUSALS[code])


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
    department_code: str
    region_id: int
    hall_code: str | None
    effective_own: bool  # the effective rating is one the applicant gave themselves
    last_rated_at: datetime | None


async def submit_rating(
    submission: Submission,
    rater: Rater,
    *,
    engine: Engine,
    clock: Callable[[], datetime],
    counters: Counters,
    device: str | None = None,
) -> Result:
    """Rate as `rater`. `device` is a device the server recognises (a signed browser id),
    or None; a pad is its own device."""
    if not rater.may_rate_on(submission.channel):
        return rejected("NOT_RATER")
    if submission.comment and len(submission.comment) > MAX_TEXT:
        return rejected("TOO_LONG")
    if rater.on_behalf and not rater.staff_code:
        return rejected("STAFF_CODE_REQUIRED")
    answer = (rater.key, submission.client_request_id) if submission.client_request_id else None
    if answer is not None:
        replay = await _replay(connection(), *answer)
        if replay is not None:
            return replay
    limits = engine.abuse()
    now = clock()
    targets = _targets(submission, await _target_cases(connection(), submission, lock=False))
    regions = await _regions_covered(rater)
    problem = _who_and_when(targets, rater, now, regions)
    if problem is not None:
        # A case that is not there and one that is someone else's answer alike; the
        # attempts are counted so case numbers cannot be tried at will.
        if problem.code == "NOT_FOUND" and await check_misses(
            counters, limits, rater=rater.key, now=now
        ):
            return rejected("RATE_LIMITED")
        return problem
    verdict = await _count(counters, limits, rater, targets[0], device, now)
    if verdict.refused_by is not None:
        return rejected("RATE_LIMITED")
    try:
        result = await _transaction(
            _Attempt(submission, rater, engine, clock, answer, verdict, regions)
        )
    except BaseException:
        await counters.release(verdict.counted)  # nothing was stored (UNAVAILABLE, a bug)
        raise
    if isinstance(result, RatingRefusal):
        await counters.release(verdict.counted)
    return result


@dataclass(frozen=True)
class _Attempt:
    """One rating on its way into the transaction: what, by whom, under which policy, with
    which request id, counted how, and (a hotline operator) the regions its rater covers."""

    submission: Submission
    rater: Rater
    engine: Engine
    clock: Callable[[], datetime]
    answer: tuple[str, str] | None
    verdict: Verdict
    regions: frozenset[int] | None


async def _transaction(attempt: _Attempt) -> Result:
    """Claim the request id, lock the cases, decide, write; the answer kept when final."""
    answer = attempt.answer
    async with in_transaction() as conn:
        if dialect(conn) == "postgres":
            await execute(conn, GENERIC_PLANS_SQL)
        if answer and not await _claim(conn, *answer, attempt.clock()):
            replay = await _replay(conn, *answer)
            if replay is not None:
                return replay
        result, answered = await _decide_and_write(conn, attempt)
        if answer and not answered:
            if isinstance(result, RatingRefusal) and result.code in _TRANSIENT:
                await execute(conn, RELEASE_SQL, list(answer))
            else:
                await _answer(conn, *answer, result)
        return result


async def _count(
    counters: Counters,
    limits: Decided[Limits],
    rater: Rater,
    anchor: _Case,
    device: str | None,
    now: datetime,
) -> Verdict:
    """Count the rating against the policy's limits. A rating counts for the applicant it
    represents, whoever enters it; the operator or pad entering it has a limit of its own;
    a device is only one the server recognises; the burst hold is for one browser rating
    for many people (a pad rates for everyone at its window, an operator for every caller)."""
    own_browser = rater.role == "citizen" and device is not None
    applicant = f"citizen:{anchor.applicant_hash}"
    return await check_rating(
        counters,
        limits,
        # Entries on the applicant's behalf have a count of their own, so that staff cannot
        # use up the applicant's own allowance.
        rater=f"behalf:{applicant}" if rater.on_behalf else applicant,
        operator=rater.key if rater.on_behalf or rater.role == "pad" else None,
        device=rater.key if rater.role == "pad" else device if own_browser else None,
        window=anchor.window_code,
        hold_bursts=own_browser,
        now=now,
    )


# The rating's statements have one good plan whatever the case. PostgreSQL would otherwise
# plan the write (an INSERT from unnest() with three UPDATEs in one WITH) afresh on every
# execution: with the rating's SQL alone at c=4 (bench/sql_alone.py, whose job option
# "custom_plans" leaves this statement out), 1,000,000 cases: 1.04-1.07 -> 0.81 ms of
# machine CPU a rating, 1,517-1,577 -> 1,838-1,880 ratings/s.
# LOCAL: the pooled connection goes back with the session default.
GENERIC_PLANS_SQL = "SET LOCAL plan_cache_mode = force_generic_plan"


def _targets(submission: Submission, found: list[_Case]) -> list[_Case]:
    if submission.target == "case":
        return [c for c in found if c.case_no == submission.number]
    return found


async def _decide_and_write(conn: BaseDBAsyncClient, attempt: _Attempt) -> tuple[Result, bool]:
    """The result, and whether the idempotency answer was written with it."""
    submission, rater, engine, clock = (
        attempt.submission,
        attempt.rater,
        attempt.engine,
        attempt.clock,
    )
    answer, verdict, regions = attempt.answer, attempt.verdict, attempt.regions
    found = await _target_cases(conn, submission, lock=True)
    # The time is taken once the cases are locked, so "latest" is the order in which the
    # lock admits ratings; never before a rating already stored (clocks of other hosts).
    now = _after(clock(), found)
    targets = _targets(submission, found)
    problem = _who_and_when(targets, rater, now, regions)
    if problem:
        return problem, False
    anchor = targets[0]
    scope = engine.scope(
        submission.target,
        in_batch=anchor.batch_id is not None,
        in_integrated_service=anchor.service_id is not None,
    )
    if scope.value.code:
        return rejected(scope.value.code), False
    cases = _applies_to(submission, found, targets, anchor, scope.value)
    decision = engine.rating(
        RatingFacts(
            level=submission.level,
            channel=submission.channel.value,
            tags=submission.tags,
            comment=submission.comment or "",
            completed_at=anchor.completed_at,
            rated_at=now,
            prior=_prior(anchor, rater, engine, now),
        )
    )
    judged = decision.value
    if not judged.accepted or judged.meaning is None:
        return rejected(judged.code or "INVALID_LEVEL"), False
    own_stands = rater.on_behalf and not _displaces_own(engine)
    fired = list(dict.fromkeys([*scope.fired, *decision.fired, *verdict.rules]))
    return await _write(
        conn,
        submission,
        rater,
        cases,
        decision,
        scope.value,
        fired,
        now,
        answer,
        held=verdict.hold,
        own_stands=own_stands,
    )


def _after(now: datetime, cases: Sequence[_Case]) -> datetime:
    stored = [c.last_rated_at for c in cases if c.last_rated_at is not None]
    latest = max(stored, default=None)
    if latest is not None and latest >= now:
        return latest + timedelta(microseconds=1)
    return now


def _displaces_own(engine: Engine) -> bool:
    """Whether a rating entered on the applicant's behalf displaces their own (rules.yaml
    rating.on_behalf)."""
    return engine.history(Prior.OWN_RATING).value.supersedes


def _who_and_when(
    targets: Sequence[_Case], rater: Rater, now: datetime, regions: frozenset[int] | None
) -> RatingRefusal | None:
    """Cases that are not the rater's to rate answer as if they did not exist (no one can
    learn which case numbers are real, nor whether they are completed); the staff member who
    handled a case, who can see it, is told plainly. `regions`: those a hotline operator
    covers."""
    if not targets:
        return rejected("NOT_FOUND")
    if not all(_may_see(case, rater, regions) for case in targets):
        return rejected("NOT_FOUND")
    for case in targets:
        if rater.role == "pad" and not _pad_may_rate(case, rater, now):
            return rejected("NOT_RATER")
        if rater.staff_code is not None and rater.staff_code == normalise_staff_code(
            case.staff_code
        ):
            return rejected("NOT_RATER")
        if case.completed_at is None:
            return rejected("CASE_NOT_COMPLETED")
    return None


def _may_see(case: _Case, rater: Rater, regions: frozenset[int] | None) -> bool:
    if rater.role == "citizen":
        return rater.applicant_hash == case.applicant_hash
    if rater.role == "sms":
        return rater.phone_hash is not None and rater.phone_hash == case.phone_hash
    if rater.role == "pad":
        return rater.pad_window_code is not None and rater.pad_window_code == case.window_code
    if rater.role == "hotline_operator":
        return regions is not None and case.region_id in regions
    if rater.on_behalf:
        return case.department_code == rater.department_code or (
            rater.hall_code is not None and rater.hall_code == case.hall_code
        )
    return False


async def _regions_covered(rater: Rater) -> frozenset[int] | None:
    """A hotline operator enters ratings for cases of their region and the regions below."""
    if rater.role != "hotline_operator":
        return None
    rows = await fetch(connection(), _REGION_TREE_SQL, [rater.region_code])
    return frozenset(int(r["id"]) for r in rows)


_REGION_TREE_SQL = (
    "WITH RECURSIVE sub(id) AS (SELECT id FROM region WHERE code = ? "
    "UNION SELECT r2.id FROM region r2 JOIN sub ON r2.parent_id = sub.id) SELECT id FROM sub"
)


def _pad_may_rate(case: _Case, rater: Rater, now: datetime) -> bool:
    return pad_may_rate(
        case_window=case.window_code,
        completed_at=case.completed_at,
        pad_window=rater.pad_window_code,
        within=rater.pad_rating_window or timedelta(0),
        now=now,
    )


def _prior(case: _Case, rater: Rater, engine: Engine, now: datetime) -> Prior:
    """What the case already has (see services.ratings.prior)."""
    return prior(
        engine,
        RatingStatus(case.rating_status),
        case.completed_at,
        now,
        own=rater.on_behalf and case.effective_own,
    )


_OWN_ROLES_SQL = ", ".join(f"'{role}'" for role in sorted(OWN_ROLES))  # constants, not input
_CASE_SELECT = f"""
SELECT c.id, c.case_no, c.completed_at, a.id_number_hash, s.code AS staff_code,
       c.batch_id, c.integrated_service_id, c.rating_status, e.target AS effective_target,
       w.code AS window_code, a.phone_hash, d.code AS department_code, c.region_id,
       h.code AS hall_code, e.rater_role IN ({_OWN_ROLES_SQL}) AS effective_own,
       (SELECT max(r.rated_at) FROM rating r WHERE r.case_id = c.id) AS last_rated_at
"""  # noqa: S608
_CASE_JOINS = """
JOIN applicant a ON a.id = c.applicant_id
JOIN department d ON d.id = c.department_id
LEFT JOIN staff s ON s.id = c.staff_id
LEFT JOIN service_window w ON w.id = c.window_id
LEFT JOIN hall h ON h.id = w.hall_id
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
            r["department_code"],
            int(r["region_id"]),
            r["hall_code"],
            bool(r["effective_own"]),
            as_utc(r["last_rated_at"]),
        )
        for r in rows
    ]


async def _target_cases(
    conn: BaseDBAsyncClient, submission: Submission, *, lock: bool
) -> list[_Case]:
    """The target's cases. A case comes with the rest of its batch, which a rating may fan
    out to. With `lock` (PostgreSQL; SQLite serialises write transactions) they are locked
    first, all at once in id order, so two ratings of one batch queue instead of
    deadlocking; and read after, by a statement of its own: a statement that waited for a
    lock reads the other tables as they were before it waited (READ COMMITTED), and
    "latest" and "effective" must see the rating that went in first."""
    if submission.target == "case":
        source, where, args = _CASE_AND_BATCH, "", [submission.number, submission.number]
    else:
        source, where, args = "FROM case_record c", _GROUPS[submission.target], [submission.number]
    if lock and dialect(conn) == "postgres":
        await fetch(conn, _lock_sql(source, where), args)
    rows = await fetch(conn, _read_sql(source, where), args)
    return _cases(rows)


def _read_sql(source: str, where: str) -> str:
    return f"{_CASE_SELECT}{source}{_CASE_JOINS}{where} ORDER BY c.id"


def _lock_sql(source: str, where: str) -> str:
    return f"SELECT c.id {source} {where} ORDER BY c.id FOR UPDATE OF c"


# What rating one case sends on PostgreSQL (arguments: the case number twice): the lock,
# then the read.
LOCK_CASE_SQL = _lock_sql(_CASE_AND_BATCH, "")
READ_CASE_SQL = _read_sql(_CASE_AND_BATCH, "")


def _applies_to(
    submission: Submission,
    found: list[_Case],
    targets: list[_Case],
    anchor: _Case,
    scope: Reach,
) -> list[_Case]:
    if (
        scope.applies_to is AppliesTo.BATCH
        and submission.target == "case"
        and anchor.batch_id is not None
    ):
        return [c for c in found if c.batch_id == anchor.batch_id]
    return targets


async def _write(
    conn: BaseDBAsyncClient,
    submission: Submission,
    rater: Rater,
    cases: list[_Case],
    decision: Decided[RatingVerdict],
    scope: Reach,
    fired: list[str],
    now: datetime,
    answer: tuple[str, str] | None,
    *,
    held: bool,
    own_stands: bool,
) -> tuple[Accepted, bool]:
    """`held`: the anti-abuse check holds this rating for review: stored, not counted.
    `own_stands`: an entry on the applicant's behalf leaves their own rating effective."""
    act_id = str(uuid.uuid4())
    rated_at = now.astimezone(UTC)
    meaning = decision.value.meaning
    assert meaning is not None  # accepted: the level is the policy's
    category = meaning.category.value
    effective = [
        _becomes_effective(submission, case, scope)
        and not held
        and not (own_stands and case.effective_own)
        for case in cases
    ]
    rows = [
        [
            case.id,
            act_id,
            submission.target,
            submission.level,
            category,
            json.dumps(list(submission.tags)),
            submission.comment or None,
            submission.channel.value,
            rater.role,
            rater.key,
            rated_at,
            counts,
            held or decision.value.held_for_review,
            decision.version,
            json.dumps(fired),
        ]
        for case, counts in zip(cases, effective, strict=True)
    ]
    stored = StoredRating(
        id=0,  # filled in below from the database
        level=submission.level,
        category=category,
        tags=list(submission.tags),
        comment=submission.comment or None,
        channel=submission.channel.value,
        rated_at=rated_at.isoformat(),
    )
    status = HELD if held else EFFECTIVE if any(effective) else RECORDED
    accepted = Accepted(stored, [c.case_no for c in cases], decision.version, fired, status)
    if dialect(conn) == "postgres":
        first_id = await _write_postgres(conn, act_id, rows, accepted, answer)
        answered = answer is not None
    else:
        first_id, answered = await _write_portable(conn, act_id, rows), False
    if any(effective):
        # 差评 opens a callback; a case whose effective rating stops being bad closes its own.
        await settle_callbacks(conn, act_id, now)
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


def _becomes_effective(submission: Submission, case: _Case, scope: Reach) -> bool:
    """A one-thing rating does not displace a member's own rating where members win."""
    return not (
        submission.target == "integrated_service"
        and scope.when_both is WhenBoth.MEMBER_WINS
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


# Gives the request id back when the answer could change (see _TRANSIENT): the retry asks
# again instead of being told "not found" forever.
RELEASE_SQL = "DELETE FROM rating_request WHERE rater_key = ? AND client_request_id = ?"


async def _answer(conn: BaseDBAsyncClient, rater_key: str, request_id: str, result: Result) -> None:
    kind = _ACCEPTED if isinstance(result, Accepted) else _REFUSED
    body = json.dumps({"type": kind, **asdict(result)})
    await execute(
        conn,
        "UPDATE rating_request SET response = ? WHERE rater_key = ? AND client_request_id = ?",
        [body, rater_key, request_id],
    )


# The answer's kind as stored with the request id: fixed words, whatever the classes are
# called (answers stored by earlier versions say the same).
_ACCEPTED, _REFUSED = "Accepted", "Rejected"


def _load(body: str) -> Result:
    data = json.loads(body)
    kind = data.pop("type")
    if kind == _REFUSED:
        return RatingRefusal(**data)
    return Accepted(
        rating=StoredRating(**data["rating"]),
        applies_to=data["applies_to"],
        rules_version=data["rules_version"],
        fired_rules=data["fired_rules"],
        status=data.get("status", EFFECTIVE),  # answers stored before statuses existed
    )
