"""The deadline sweep: default ratings, expired rating windows and reminders (an SMS, or a
call for the case's department to make), as of `now`.

One `cutoffs` decision turns the policy's durations into bounds on `completed_at` (working
days included): a case completed before a bound is due. The rest is set-based SQL over the
due cases, in batches that are each one short transaction. On PostgreSQL a batch claims its
cases with FOR UPDATE SKIP LOCKED, so two workers sweeping at once share the work and never
apply anything twice, and a citizen rating one of the cases meanwhile either waits for the
batch or is passed over by it. A pass is idempotent: what it writes takes the cases out of
what it selects.

The policy's `reminder.via` is an ordered list: the first channel is how the reminder goes,
a second is the fallback when the first could not reach the person. So with [SMS, CALL] a
case whose reminder SMS was given up (FAILED) gets a reminder call; with [CALL] the due
cases get one at once. A call still open when it is no longer needed (the case was rated,
defaulted or expired, or fell out of the reminder period) is cancelled.

No reminder SMS is queued during the policy's quiet hours (`reminder.quiet_hours`): the
cases stay due, and the first pass after the quiet hours queues them, judged and worded as
of then (a case rated overnight gets none). Calls are a worklist for the department's
staff, not a message to a phone at night: they are opened at any hour. The template's
`{reply}` is the policy's reply hint when SMS replies reach the service (`replies`), and
nothing otherwise: a reminder never asks for a reply that goes nowhere.

A case whose rating is held for review (the anti-abuse burst hold, services.abuse) stays
unrated, but its applicant did rate: it gets no reminder, no default and does not expire;
a reminder call opened before is cancelled. It waits for the review, which is to decide
whether the held rating counts; there is no review workflow yet, so until there is such a
case stays unrated.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models.db import connection, dialect, execute, fetch
from models.enums import (
    CallOutcome,
    Channel,
    OutboxStatus,
    RatingStatus,
    ReminderCallReason,
    ReminderCallStatus,
)
from rules import Engine
from services.sweep_plan import DefaultStep, ReminderStep
from services.sweep_plan import plan as make_plan

# Large enough that a backlog of a million cases is a few hundred round trips, small
# enough that a citizen rating a case of the batch waits a fraction of a second for it.
DEFAULT_BATCH_SIZE = 5000
# Batch loops per step on PostgreSQL. SKIP LOCKED keeps them apart, and two take about a
# fifth less time over a backlog than one (a million cases: 58 s -> 45 s on two cores).
# SQLite runs one writer at a time, so there it is always one.
DEFAULT_PARALLEL = 2
DEFAULT_LINK_BASE = "https://hcp.example/m/?case="
REMINDER_PURPOSE = "rating_reminder"
# How long after it fell due a reminder may still be sent when the policy has no
# late-rating window to bound it (with a window: while the window is open). An operations
# limit, not policy: a worker that was down, or a first sweep over years of history, must
# not text people about services they received long ago.
REMINDER_CATCH_UP = timedelta(days=7)

# A held rating of the case `{case}`: a lookup in the partial index of held ratings
# (migration 0007), whose condition this repeats word for word so that SQLite uses it.
_HELD = "EXISTS (SELECT 1 FROM rating h WHERE h.case_id = {case} AND h.held_for_review)"
_NOT_HELD = "NOT " + _HELD

# The placeholders a reminder template may use (documented in rules.yaml).
_PLACEHOLDERS = re.compile(r"(\{matter\}|\{case_no\}|\{link\}|\{reply\})")
# A case number goes into the link as a query value: these would end or change it.
_QUERY_ESCAPES = (("%", "%25"), ("&", "%26"), ("#", "%23"), ("+", "%2B"))


@dataclass(frozen=True)
class SweepReport:
    reminders_queued: int = 0  # every reminder: the SMS and the calls
    defaults_applied: int = 0
    expired: int = 0
    reminder_calls_queued: int = 0
    reminder_calls_cancelled: int = 0


async def sweep(
    *,
    engine: Engine,
    now: datetime,
    batch_size: int = DEFAULT_BATCH_SIZE,
    link_base: str = DEFAULT_LINK_BASE,
    reminder_catch_up: timedelta = REMINDER_CATCH_UP,
    parallel: int = DEFAULT_PARALLEL,
    stop: asyncio.Event | None = None,
    replies: bool = False,
) -> SweepReport:
    """One pass as of `now`: defaults, then expiry, then reminders (SMS, calls), then the
    calls no longer needed are cancelled. `stop` ends the pass between batches; the next
    pass carries on where it stopped. `replies`: SMS replies reach the service, so the
    reminder may ask for one."""
    if now.tzinfo is None:
        raise ValueError("now needs a UTC offset")
    if batch_size < 1 or parallel < 1:
        raise ValueError("batch_size and parallel must be at least 1")
    plan = make_plan(engine, now, reminder_catch_up)
    loops = parallel if _postgres(connection()) else 1
    at = now.astimezone(UTC)
    act_id = str(uuid.uuid4())
    defaults = expired = texts = calls = 0
    if plan.default is not None:
        default = plan.default

        async def apply_defaults(conn: BaseDBAsyncClient) -> int:
            return await _default_batch(conn, plan.version, default, act_id, at, batch_size)

        defaults = await _in_batches(apply_defaults, loops, stop)
    if plan.expire_before is not None:
        before = plan.expire_before

        async def expire(conn: BaseDBAsyncClient) -> int:
            return await _expire_batch(conn, before, batch_size)

        expired = await _in_batches(expire, loops, stop)
    if plan.reminder is not None:
        reminder = plan.reminder

        async def remind(conn: BaseDBAsyncClient) -> int:
            return await _reminder_batch(conn, reminder, link_base, replies, at, batch_size)

        async def call_due(conn: BaseDBAsyncClient) -> int:
            return await _due_call_batch(conn, reminder, at, batch_size)

        async def call_unreached(conn: BaseDBAsyncClient) -> int:
            return await _unreached_call_batch(conn, reminder, at, batch_size)

        if reminder.texts_now:
            texts = await _in_batches(remind, loops, stop)
        if reminder.calls_first:
            calls += await _in_batches(call_due, loops, stop)
        if reminder.calls_unreached:
            calls += await _in_batches(call_unreached, loops, stop)
    since = plan.reminder.since if plan.reminder is not None else None

    async def cancel(conn: BaseDBAsyncClient) -> int:
        return await _cancel_call_batch(conn, since, at, batch_size)

    cancelled = await _in_batches(cancel, loops, stop)
    return SweepReport(
        reminders_queued=texts + calls,
        defaults_applied=defaults,
        expired=expired,
        reminder_calls_queued=calls,
        reminder_calls_cancelled=cancelled,
    )


async def _in_batches(
    step: Callable[[BaseDBAsyncClient], Awaitable[int]], loops: int, stop: asyncio.Event | None
) -> int:
    """Run `step`, each batch in a transaction of its own, in `loops` loops at once until
    a batch finds nothing to do. A short batch is not the end: on PostgreSQL it may only
    mean that rows another loop holds were skipped."""

    async def loop() -> int:
        total = 0
        while stop is None or not stop.is_set():
            async with in_transaction() as conn:
                done = await step(conn)
            if not done:
                break
            total += done
        return total

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(loop()) for _ in range(loops)]
    return sum(task.result() for task in tasks)


def _postgres(conn: BaseDBAsyncClient) -> bool:
    return dialect(conn) == "postgres"


def _typed(conn: BaseDBAsyncClient, pg_type: str) -> str:
    """A parameter in a SELECT list: PostgreSQL does not infer its type from the INSERT's
    column; SQLite stores what it is given (a CAST there would turn a timestamp into 2026)."""
    return f"CAST(? AS {pg_type})" if _postgres(conn) else "?"


@dataclass(frozen=True)
class _Batch:
    """One batch as SQL: `due` selects at most a batch of cases, `insert` writes one row
    per case from `due`, `mark` updates the cases from the inserted rows (`written`); a
    batch whose rows take the cases out of `due` by themselves marks nothing."""

    due: str
    due_args: list[Any]
    lock_of: str
    insert: str
    insert_args: list[Any]
    table: str
    mark: str | None
    mark_args: list[Any]


async def _run_batch(conn: BaseDBAsyncClient, batch: _Batch) -> int:
    """Returns the number of cases marked (without a `mark`: of rows inserted). On
    PostgreSQL one statement claims the cases, inserts and marks. SQLite has no INSERT
    inside WITH; it runs one writer at a time, so the rows the batch inserted are the rows
    above the highest id read before it."""
    if _postgres(conn):
        counted = "written"
        marked = ""
        if batch.mark is not None:
            counted, marked = "marked", f", marked AS ({batch.mark} RETURNING 1)"
        rows = await fetch(
            conn,
            f"WITH due AS ({batch.due} FOR UPDATE{batch.lock_of} SKIP LOCKED), "  # noqa: S608
            f"written AS ({batch.insert} RETURNING id, case_id){marked} "
            f"SELECT count(*) AS n FROM {counted}",
            [*batch.due_args, *batch.insert_args, *batch.mark_args],
        )
        return int(rows[0]["n"])
    top = await fetch(conn, f"SELECT COALESCE(MAX(id), 0) AS top FROM {batch.table}")  # noqa: S608
    await execute(
        conn, f"WITH due AS ({batch.due}) {batch.insert}", [*batch.due_args, *batch.insert_args]
    )
    if batch.mark is None:
        rows = await fetch(
            conn,
            f"SELECT count(*) AS n FROM {batch.table} WHERE id > ?",  # noqa: S608
            [int(top[0]["top"])],
        )
        return int(rows[0]["n"])
    return await execute(
        conn,
        f"WITH written AS (SELECT id, case_id FROM {batch.table} WHERE id > ?) {batch.mark}",  # noqa: S608
        [int(top[0]["top"]), *batch.mark_args],
    )


async def _default_batch(
    conn: BaseDBAsyncClient,
    version: str,
    default: DefaultStep,
    act_id: str,
    at: datetime,
    limit: int,
) -> int:
    text, small, flag, stamp = (
        _typed(conn, "text"),
        _typed(conn, "smallint"),
        _typed(conn, "boolean"),
        _typed(conn, "timestamptz"),
    )
    batch = _Batch(
        due="SELECT id FROM case_record WHERE rating_status = ? AND completed_at IS NOT NULL "  # noqa: S608
        f"AND completed_at < ? AND {_NOT_HELD.format(case='case_record.id')} "
        "ORDER BY completed_at LIMIT ?",
        due_args=[RatingStatus.UNRATED.value, default.due_before, limit],
        lock_of="",
        insert="INSERT INTO rating (case_id, act_id, target, level, category, tags, comment, "  # noqa: S608
        "channel, rater_role, rater_key, rated_at, effective, held_for_review, rules_version, "
        f"fired_rules) SELECT due.id, {text}, 'case', {small}, {text}, '[]', NULL, {text}, "
        f"'system', NULL, {stamp}, {flag}, {flag}, {text}, {text} FROM due",
        insert_args=[
            act_id,
            default.level,
            default.category,
            Channel.DEFAULT.value,
            at,
            True,
            False,
            version,
            default.fired,
        ],
        table="rating",
        mark="UPDATE case_record SET rating_status = ?, effective_rating_id = written.id "
        "FROM written WHERE case_record.id = written.case_id",
        mark_args=[RatingStatus.DEFAULTED.value],
    )
    return await _run_batch(conn, batch)


async def _expire_batch(conn: BaseDBAsyncClient, before: datetime, limit: int) -> int:
    lock = " FOR UPDATE SKIP LOCKED" if _postgres(conn) else ""
    return await execute(
        conn,
        "UPDATE case_record SET rating_status = ? WHERE id IN (SELECT id FROM case_record "  # noqa: S608
        "WHERE rating_status = ? AND completed_at IS NOT NULL AND completed_at < ? "
        f"AND {_NOT_HELD.format(case='case_record.id')} ORDER BY completed_at LIMIT ?{lock})",
        [RatingStatus.EXPIRED.value, RatingStatus.UNRATED.value, before, limit],
    )


async def _reminder_batch(
    conn: BaseDBAsyncClient,
    reminder: ReminderStep,
    link_base: str,
    replies: bool,
    at: datetime,
    limit: int,
) -> int:
    """Queue the SMS with the phone's ciphertext copied as it is (never opened here) and
    mark the cases reminded. A case that already has a reminder is not selected, so a
    conflict cannot make the batches select the same cases forever."""
    reply = reminder.reply_hint if replies else ""
    body, body_args = _body(conn, reminder.template, link_base, reply)
    text, stamp = _typed(conn, "text"), _typed(conn, "timestamptz")
    due, due_args = _unreminded(
        "c.id, c.case_no, c.applicant_id, c.matter_id",
        "SELECT 1 FROM sms_outbox o WHERE o.case_id = c.id AND o.purpose = ?",
        [REMINDER_PURPOSE],
        reminder,
        limit,
    )
    batch = _Batch(
        due=due,
        due_args=due_args,
        lock_of=" OF c",
        insert="INSERT INTO sms_outbox (case_id, purpose, phone_enc, key_id, body, status, "  # noqa: S608
        "attempts, next_attempt_at, created_at) "
        f"SELECT due.id, {text}, a.phone_enc, a.key_id, {body}, {text}, 0, {stamp}, {stamp} "
        "FROM due JOIN applicant a ON a.id = due.applicant_id "
        "JOIN matter m ON m.id = due.matter_id "
        # SQLite needs a WHERE before ON CONFLICT to tell it from a join's ON.
        "WHERE TRUE ON CONFLICT (case_id, purpose) DO NOTHING",
        insert_args=[REMINDER_PURPOSE, *body_args, OutboxStatus.PENDING.value, at, at],
        table="sms_outbox",
        mark=_MARK_REMINDED,
        mark_args=[at],
    )
    return await _run_batch(conn, batch)


def _unreminded(
    columns: str, reminded: str, reminded_args: list[Any], reminder: ReminderStep, limit: int
) -> tuple[str, list[Any]]:
    """The cases a reminder (SMS or call) is due for, at most `limit`: unrated, not yet
    reminded, completed within the reminder period, with a phone to reach, no rating held
    for review, and without the reminder `reminded` finds (a subquery over `c`)."""
    sql = (
        f"SELECT {columns} FROM case_record c JOIN applicant a ON a.id = c.applicant_id "  # noqa: S608
        "WHERE c.rating_status = ? AND c.reminded_at IS NULL AND c.completed_at IS NOT NULL "
        "AND c.completed_at >= ? AND c.completed_at < ? AND a.phone_enc IS NOT NULL "
        f"AND NOT EXISTS ({reminded}) AND {_NOT_HELD.format(case='c.id')} "
        "ORDER BY c.completed_at LIMIT ?"
    )
    args = [RatingStatus.UNRATED.value, reminder.since, reminder.due_before, *reminded_args]
    return sql, [*args, limit]


# The cases a batch wrote a reminder for (`written`) are reminded.
_MARK_REMINDED = (
    "UPDATE case_record SET reminded_at = ? FROM written "
    "WHERE case_record.id = written.case_id AND case_record.reminded_at IS NULL"
)


def _open_calls(conn: BaseDBAsyncClient) -> str:
    """INSERT of a reminder call for each case of `due` (its id and department_id), for
    the case's department; a case has at most one."""
    text, stamp = _typed(conn, "text"), _typed(conn, "timestamptz")
    return (
        "INSERT INTO reminder_call (case_id, department_id, reason, status, attempts, "  # noqa: S608
        f"opened_at) SELECT due.id, due.department_id, {text}, {text}, 0, {stamp} FROM due "
        "WHERE TRUE ON CONFLICT (case_id) DO NOTHING"
    )


async def _due_call_batch(
    conn: BaseDBAsyncClient, reminder: ReminderStep, at: datetime, limit: int
) -> int:
    """The policy reminds by a call: the cases an SMS would go to get a call instead, and
    are marked reminded. As with the SMS, a case with a call is not selected again."""
    due, due_args = _unreminded(
        "c.id, c.department_id",
        "SELECT 1 FROM reminder_call k WHERE k.case_id = c.id",
        [],
        reminder,
        limit,
    )
    batch = _Batch(
        due=due,
        due_args=due_args,
        lock_of=" OF c",
        insert=_open_calls(conn),
        insert_args=[ReminderCallReason.DUE.value, ReminderCallStatus.OPEN.value, at],
        table="reminder_call",
        mark=_MARK_REMINDED,
        mark_args=[at],
    )
    return await _run_batch(conn, batch)


async def _unreached_call_batch(
    conn: BaseDBAsyncClient, reminder: ReminderStep, at: datetime, limit: int
) -> int:
    """The fallback: a call for each case still unrated within the reminder period whose
    reminder SMS was given up (and no rating held since). The call itself takes the case out
    of the selection."""
    batch = _Batch(
        due="SELECT c.id, c.department_id FROM case_record c "  # noqa: S608
        "JOIN sms_outbox o ON o.case_id = c.id AND o.purpose = ? "
        "WHERE o.status = ? AND c.rating_status = ? AND c.completed_at IS NOT NULL "
        "AND c.completed_at >= ? "
        "AND NOT EXISTS (SELECT 1 FROM reminder_call k WHERE k.case_id = c.id) "
        f"AND {_NOT_HELD.format(case='c.id')} ORDER BY c.completed_at LIMIT ?",
        due_args=[
            REMINDER_PURPOSE,
            OutboxStatus.FAILED.value,
            RatingStatus.UNRATED.value,
            reminder.since,
            limit,
        ],
        lock_of=" OF c",
        insert=_open_calls(conn),
        insert_args=[ReminderCallReason.SMS_FAILED.value, ReminderCallStatus.OPEN.value, at],
        table="reminder_call",
        mark=None,
        mark_args=[],
    )
    return await _run_batch(conn, batch)


async def _cancel_call_batch(
    conn: BaseDBAsyncClient, since: datetime | None, at: datetime, limit: int
) -> int:
    """Close the open calls nobody needs to make any more: the case is no longer unrated or
    has a rating held for review, or (when the policy reminds at all) it was completed
    before the reminder period."""
    lock = " FOR UPDATE OF k SKIP LOCKED" if _postgres(conn) else ""
    stale = f"c.rating_status <> ? OR {_HELD.format(case='c.id')}"
    stale_args: list[Any] = [RatingStatus.UNRATED.value]
    if since is not None:
        stale += " OR c.completed_at < ?"
        stale_args.append(since)
    return await execute(
        conn,
        "UPDATE reminder_call SET status = ?, last_outcome = ?, closed_at = ? WHERE id IN ("  # noqa: S608
        "SELECT k.id FROM reminder_call k JOIN case_record c ON c.id = k.case_id "
        f"WHERE k.status = ? AND ({stale}) ORDER BY k.opened_at, k.id LIMIT ?{lock})",
        [
            ReminderCallStatus.CLOSED.value,
            CallOutcome.CANCELLED.value,
            at,
            ReminderCallStatus.OPEN.value,
            *stale_args,
            limit,
        ],
    )


def _body(
    conn: BaseDBAsyncClient, template: str, link_base: str, reply: str
) -> tuple[str, list[str]]:
    """The template as a SQL concatenation of its literal parts (parameters) and the
    case's values. Unlike nested REPLACE(), no value is searched again for placeholders,
    so a matter name containing "{link}" is sent as it was written. `{reply}` is the
    literal `reply` (the reply hint, or nothing)."""
    text = _typed(conn, "text")
    case_no = "due.case_no"
    for char, escaped in _QUERY_ESCAPES:
        case_no = f"REPLACE({case_no}, '{char}', '{escaped}')"
    values = {"{matter}": "m.name", "{case_no}": "due.case_no", "{link}": f"{text} || {case_no}"}
    parts: list[str] = []
    args: list[str] = []
    for piece in _PLACEHOLDERS.split(template):
        literal = reply if piece == "{reply}" else piece
        if piece in values:
            parts.append(values[piece])
            args += [link_base] if piece == "{link}" else []
        elif literal:
            parts.append(text)
            args.append(literal)
    return " || ".join(parts) or "''", args
