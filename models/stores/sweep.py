"""The deadline sweep's batches: each a set-based statement (or three on SQLite) over at
most a batch of due cases, run inside the caller's transaction.

On PostgreSQL a batch claims its cases with FOR UPDATE SKIP LOCKED, so two loops sweeping
at once share the work and never apply anything twice, and a citizen rating one of the
cases meanwhile either waits for the batch or is passed over by it. What a batch writes
takes its cases out of what it selects, so a pass is idempotent. Every function returns how
many cases it did: 0 means nothing is left (or, on PostgreSQL, everything left is held by
another loop).

A case with a rating held for review (the anti-abuse burst hold) gets no default, no
reminder and does not expire; an open reminder call for it is cancelled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from models.db import dialect, execute, fetch
from models.enums import (
    CallOutcome,
    Channel,
    OutboxStatus,
    RatingStatus,
    ReminderCallReason,
    ReminderCallStatus,
)

REMINDER_PURPOSE = "rating_reminder"

# A held rating of the case `{case}`: a lookup in the partial index of held ratings
# (migration 0007), whose condition this repeats word for word so that SQLite uses it.
_HELD = "EXISTS (SELECT 1 FROM rating h WHERE h.case_id = {case} AND h.held_for_review)"
_NOT_HELD = "NOT " + _HELD

# The placeholders a reminder template may use (documented in rules.yaml).
_PLACEHOLDERS = re.compile(r"(\{matter\}|\{case_no\}|\{link\}|\{reply\})")
# A case number goes into the link as a query value: these would end or change it.
_QUERY_ESCAPES = (("%", "%25"), ("&", "%26"), ("#", "%23"), ("+", "%2B"))


@dataclass(frozen=True)
class Defaults:
    """The default ratings one sweep pass writes: one act, one level, one policy version."""

    act_id: str
    version: str
    due_before: datetime  # cases completed before it are due
    level: int
    category: str
    fired: str
    since: datetime | None = None  # and completed from it (the era of one policy version)


@dataclass(frozen=True)
class Reminders:
    """The reminders (SMS or call) due: cases completed in [since, due_before)."""

    since: datetime
    due_before: datetime
    template: str
    link_base: str
    reply: str  # what {reply} stands for: the reply hint, or nothing


def parallel_loops(conn: BaseDBAsyncClient, wanted: int) -> int:
    """How many batch loops may run at once: SQLite runs one writer at a time."""
    return wanted if _postgres(conn) else 1


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


async def default_batch(
    conn: BaseDBAsyncClient, at: datetime, limit: int, *, default: Defaults
) -> int:
    """Write the default rating of at most `limit` unrated cases completed before
    `default.due_before` (none held for review) and mark them defaulted."""
    text, small, flag, stamp = (
        _typed(conn, "text"),
        _typed(conn, "smallint"),
        _typed(conn, "boolean"),
        _typed(conn, "timestamptz"),
    )
    since, since_args = _since("completed_at", default.since)
    batch = _Batch(
        due="SELECT id FROM case_record WHERE rating_status = ? AND completed_at IS NOT NULL "  # noqa: S608
        f"AND completed_at < ?{since} AND {_NOT_HELD.format(case='case_record.id')} "
        "ORDER BY completed_at LIMIT ?",
        due_args=[RatingStatus.UNRATED.value, default.due_before, *since_args, limit],
        lock_of="",
        insert="INSERT INTO rating (case_id, act_id, target, level, category, tags, comment, "  # noqa: S608
        "channel, rater_role, rater_key, rated_at, effective, held_for_review, rules_version, "
        f"fired_rules) SELECT due.id, {text}, 'case', {small}, {text}, '[]', NULL, {text}, "
        f"'system', NULL, {stamp}, {flag}, {flag}, {text}, {text} FROM due",
        insert_args=[
            default.act_id,
            default.level,
            default.category,
            Channel.DEFAULT.value,
            at,
            True,
            False,
            default.version,
            default.fired,
        ],
        table="rating",
        mark="UPDATE case_record SET rating_status = ?, effective_rating_id = written.id "
        "FROM written WHERE case_record.id = written.case_id",
        mark_args=[RatingStatus.DEFAULTED.value],
    )
    return await _run_batch(conn, batch)


async def expire_batch(
    conn: BaseDBAsyncClient,
    at: datetime,
    limit: int,
    *,
    before: datetime,
    since: datetime | None = None,
) -> int:
    """Expire at most `limit` unrated cases completed before `before` (and from `since`),
    none held."""
    lock = " FOR UPDATE SKIP LOCKED" if _postgres(conn) else ""
    after, after_args = _since("completed_at", since)
    return await execute(
        conn,
        "UPDATE case_record SET rating_status = ? WHERE id IN (SELECT id FROM case_record "  # noqa: S608
        f"WHERE rating_status = ? AND completed_at IS NOT NULL AND completed_at < ?{after} "
        f"AND {_NOT_HELD.format(case='case_record.id')} ORDER BY completed_at LIMIT ?{lock})",
        [RatingStatus.EXPIRED.value, RatingStatus.UNRATED.value, before, *after_args, limit],
    )


def _since(column: str, since: datetime | None) -> tuple[str, list[Any]]:
    """The lower bound of an era of cases, as SQL and its argument (none: no bound)."""
    return ("", []) if since is None else (f" AND {column} >= ?", [since])


async def reminder_batch(
    conn: BaseDBAsyncClient, at: datetime, limit: int, *, reminder: Reminders
) -> int:
    """Queue the SMS with the phone's ciphertext copied as it is (never opened here) and
    mark the cases reminded."""
    body, body_args = _body(conn, reminder.template, reminder.link_base, reminder.reply)
    text, stamp = _typed(conn, "text"), _typed(conn, "timestamptz")
    batch = _reminding(
        reminder,
        at,
        limit,
        columns="c.id, c.case_no, c.applicant_id, c.matter_id",
        reminded="SELECT 1 FROM sms_outbox o WHERE o.case_id = c.id AND o.purpose = ?",
        reminded_args=[REMINDER_PURPOSE],
        insert="INSERT INTO sms_outbox (case_id, purpose, phone_enc, key_id, body, status, "  # noqa: S608
        "attempts, next_attempt_at, created_at) "
        f"SELECT due.id, {text}, a.phone_enc, a.key_id, {body}, {text}, 0, {stamp}, {stamp} "
        "FROM due JOIN applicant a ON a.id = due.applicant_id "
        "JOIN matter m ON m.id = due.matter_id "
        # SQLite needs a WHERE before ON CONFLICT to tell it from a join's ON.
        "WHERE TRUE ON CONFLICT (case_id, purpose) DO NOTHING",
        insert_args=[REMINDER_PURPOSE, *body_args, OutboxStatus.PENDING.value, at, at],
        table="sms_outbox",
    )
    return await _run_batch(conn, batch)


def _reminding(
    reminder: Reminders,
    at: datetime,
    limit: int,
    *,
    columns: str,
    reminded: str,
    reminded_args: list[Any],
    insert: str,
    insert_args: list[Any],
    table: str,
) -> _Batch:
    """A batch writing a reminder (an SMS or a call: `insert` into `table`) for the cases
    one is due for, at most `limit`, and marking them reminded as of `at`. Due: unrated,
    not yet reminded, completed within the reminder period, with a phone to reach, no
    rating held for review, and without the reminder `reminded` finds (a subquery over
    `c`), so a conflict cannot make the batches select the same cases forever."""
    due = (
        f"SELECT {columns} FROM case_record c JOIN applicant a ON a.id = c.applicant_id "  # noqa: S608
        "WHERE c.rating_status = ? AND c.reminded_at IS NULL AND c.completed_at IS NOT NULL "
        "AND c.completed_at >= ? AND c.completed_at < ? AND a.phone_enc IS NOT NULL "
        f"AND NOT EXISTS ({reminded}) AND {_NOT_HELD.format(case='c.id')} "
        "ORDER BY c.completed_at LIMIT ?"
    )
    return _Batch(
        due=due,
        due_args=[
            RatingStatus.UNRATED.value,
            reminder.since,
            reminder.due_before,
            *reminded_args,
            limit,
        ],
        lock_of=" OF c",
        insert=insert,
        insert_args=insert_args,
        table=table,
        mark=_MARK_REMINDED,
        mark_args=[at],
    )


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


async def due_call_batch(
    conn: BaseDBAsyncClient, at: datetime, limit: int, *, reminder: Reminders
) -> int:
    """The policy reminds by a call: the cases an SMS would go to get a call instead, and
    are marked reminded. As with the SMS, a case with a call is not selected again."""
    batch = _reminding(
        reminder,
        at,
        limit,
        columns="c.id, c.department_id",
        reminded="SELECT 1 FROM reminder_call k WHERE k.case_id = c.id",
        reminded_args=[],
        insert=_open_calls(conn),
        insert_args=[ReminderCallReason.DUE.value, ReminderCallStatus.OPEN.value, at],
        table="reminder_call",
    )
    return await _run_batch(conn, batch)


async def unreached_call_batch(
    conn: BaseDBAsyncClient, at: datetime, limit: int, *, reminder: Reminders
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


async def cancel_call_batch(
    conn: BaseDBAsyncClient,
    at: datetime,
    limit: int,
    *,
    since: datetime | None,
    era_start: datetime | None = None,
) -> int:
    """Close the open calls nobody needs to make any more: the case is no longer unrated or
    has a rating held for review, or (when the policy reminds at all) it was completed
    before the reminder period (`since`; of the era of cases from `era_start`)."""
    lock = " FOR UPDATE OF k SKIP LOCKED" if _postgres(conn) else ""
    stale = f"c.rating_status <> ? OR {_HELD.format(case='c.id')}"
    stale_args: list[Any] = [RatingStatus.UNRATED.value]
    if since is not None:
        after, after_args = _since("c.completed_at", era_start)
        stale += f" OR (c.completed_at < ?{after})"
        stale_args += [since, *after_args]
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
