"""The SMS outbox as delivery works it: a lease on the messages due, then each one sent,
retried later or given up; and the last reminder a phone was sent (what a reply answers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from models.db import connection, dialect, execute, fetch
from models.enums import OutboxStatus


@dataclass(frozen=True)
class Leased:
    id: int
    phone_enc: str
    key_id: str
    body: str
    attempts: int  # this one included


async def lease_due(now: datetime, until: datetime, limit: int) -> list[Leased]:
    """At most `limit` pending messages due by `now`, each leased until `until` (another
    worker skips them meanwhile) with its attempt counted."""
    conn = connection()
    skip_locked = " FOR UPDATE SKIP LOCKED" if dialect(conn) == "postgres" else ""
    rows = await fetch(
        conn,
        "UPDATE sms_outbox SET next_attempt_at = ?, attempts = attempts + 1 WHERE id IN ("  # noqa: S608
        "SELECT id FROM sms_outbox WHERE status = ? AND next_attempt_at <= ? "
        f"ORDER BY id LIMIT ?{skip_locked}) "
        "RETURNING id, phone_enc, key_id, body, attempts",
        [until.astimezone(UTC), OutboxStatus.PENDING.value, now.astimezone(UTC), limit],
    )
    return [
        Leased(
            id=int(row["id"]),
            phone_enc=row["phone_enc"],
            key_id=row["key_id"],
            body=row["body"],
            attempts=int(row["attempts"]),
        )
        for row in sorted(rows, key=lambda row: int(row["id"]))
    ]


async def sent(message_id: int, at: datetime) -> None:
    await execute(
        connection(),
        "UPDATE sms_outbox SET status = ?, sent_at = ? WHERE id = ?",
        [OutboxStatus.SENT.value, at.astimezone(UTC), message_id],
    )


async def not_sent(message_id: int, retry_at: datetime, error: str, gave_up: bool) -> None:
    """Pending again from `retry_at`, or FAILED when given up. `error` is a code, never
    the number or the gateway's words (they may quote it)."""
    await execute(
        connection(),
        "UPDATE sms_outbox SET status = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
        [
            (OutboxStatus.FAILED if gave_up else OutboxStatus.PENDING).value,
            retry_at.astimezone(UTC),
            error[:200],
            message_id,
        ],
    )


async def last_sent_case(phone_hash: str) -> str | None:
    """The case number of the last message sent to the phone with this lookup hash."""
    rows = await fetch(
        connection(),
        "SELECT c.case_no FROM sms_outbox o JOIN case_record c ON c.id = o.case_id "
        "JOIN applicant a ON a.id = c.applicant_id WHERE a.phone_hash = ? AND o.status = ? "
        "ORDER BY o.sent_at DESC, o.id DESC LIMIT 1",
        [phone_hash, OutboxStatus.SENT.value],
    )
    return str(rows[0]["case_no"]) if rows else None
