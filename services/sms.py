"""SMS: delivering the outbox (reminders) through a gateway, and turning a rater's reply
("1"…"5" or a level's label, optionally followed by a reason) into a rating.

Only mobile numbers get an SMS. The applicant's phone is sealed in the database, so the
sweep that queues a reminder cannot see what kind of number it is; delivery opens it
anyway, and gives up at once on a number that is not a Chinese mobile number (a company's
landline): FAILED with NOT_MOBILE, the gateway never asked. Under [SMS, CALL] the next
sweep then opens a reminder call, as for any SMS that could not reach the person.

Nothing goes out during the policy's quiet hours (rules: `reminder.quiet_hours`): a pass
then sends nothing, and a retry whose back-off ends within them waits for their end."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from cryptography.exceptions import InvalidTag

from models.enums import Channel
from models.stores import outbox
from rules import Engine, QuietHours
from services.abuse import Counters
from services.batches import run_in_batches
from services.case_intake import normalise_phone
from services.ingest_cases import phone_lookup
from services.raters import Rater
from services.rating_results import RatingRefusal, Result, Submission, rejected
from services.ratings import form_levels
from services.submit_rating import submit_rating
from services.vault import Vault

MAX_ATTEMPTS = 5
# Messages leased at a time: a worker that dies holds no more than this for a LEASE.
DEFAULT_BATCH_SIZE = 200
LEASE = timedelta(minutes=2)
# A mainland mobile number as stored (services.case_intake.normalise_phone): 11 digits
# from 13 to 19, optionally after the country code. A landline (0574…) or a service number
# does not take an SMS.
_MOBILE = re.compile(r"^(?:\+86|0086|86)?1[3-9]\d{9}$")
NOT_MOBILE = "NOT_MOBILE"


class SmsSendError(Exception):
    """The gateway did not take the message; it will be retried."""


class SmsSender(Protocol):
    async def send(self, message_id: str, phone: str, text: str) -> None: ...


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    retrying: int
    failed: int  # given up after the last try, or unreadable
    not_mobile: int = 0  # given up without a try: the number takes no SMS


def is_mobile(phone: str) -> bool:
    return _MOBILE.match(phone) is not None


async def deliver_due(
    *,
    sender: SmsSender,
    vault: Vault,
    now: datetime,
    quiet_hours: QuietHours | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    stop: asyncio.Event | None = None,
) -> DeliveryReport:
    """Send what is due as of `now`, a batch at a time until none is left (or `stop` is
    set). Each message is leased before sending (a second worker skips it) and carries its
    id to the gateway, so a retry after a crash is recognisable there. A message is tried
    once a pass: a failed one waits for its back-off. `quiet_hours` (the active policy's,
    `engine.sms_quiet_hours`): none is sent within them."""
    counts = dict.fromkeys(DeliveryReport.__dataclass_fields__, 0)
    if quiet_hours is not None and quiet_hours.contains(now):
        return DeliveryReport(**counts)

    async def batch() -> int:
        leased = await outbox.lease_due(now, now + LEASE, batch_size)
        for message in leased:
            counts[await _deliver(message, sender, vault, now, quiet_hours)] += 1
        return len(leased)

    await run_in_batches(batch, stop=stop)
    return DeliveryReport(**counts)


async def _deliver(
    message: outbox.Leased,
    sender: SmsSender,
    vault: Vault,
    now: datetime,
    quiet_hours: QuietHours | None,
) -> str:
    """Send one leased message; says what became of it, as DeliveryReport counts it."""
    try:
        phone = vault.open(message.phone_enc, "applicant.phone", message.key_id)
    except (KeyError, ValueError, InvalidTag):
        # A key that left the ring, or a damaged value: retrying cannot help, and the
        # lease would hand it back to a worker forever. Given up, with nothing personal.
        await outbox.not_sent(message.id, now, f"UNREADABLE key {message.key_id}", True)
        return "failed"
    if not is_mobile(phone):
        await outbox.not_sent(message.id, now, NOT_MOBILE, True)
        return "not_mobile"
    try:
        await sender.send(f"hcp-sms-{message.id}", phone, message.body)
    except SmsSendError as exc:
        gave_up = message.attempts >= MAX_ATTEMPTS
        retry_at = now + timedelta(minutes=2**message.attempts)
        if quiet_hours is not None:
            retry_at = quiet_hours.release(retry_at)
        await outbox.not_sent(message.id, retry_at, type(exc).__name__, gave_up)
        return "failed" if gave_up else "retrying"
    await outbox.sent(message.id, now)
    return "sent"


# "5", "5分" (as a reminder asking for 1-5分 is answered), "2 态度生硬", "2分，态度生硬"
_DIGIT = re.compile(r"^\s*([1-5])(?![0-9])\s*(?:分(?!钟))?\s*[,，.。:：、]?\s*(.*)$", re.S)


def parse_reply(text: str, labels: dict[str, int]) -> tuple[int, str] | None:
    """(level, reason) from a digit or a level's label, optionally followed by a reason
    (e.g. "2 态度生硬"); None when the reply names no level."""
    match = _DIGIT.match(text)
    if match:
        return int(match.group(1)), match.group(2).strip()
    stripped = text.strip()
    # Longest label first: a shorter label can be the tail of a longer one.
    for label in sorted(labels, key=len, reverse=True):
        if stripped.startswith(label):
            return labels[label], stripped[len(label) :].lstrip(" ,，.。:：、").strip()
    return None


async def rate_by_reply(
    sender_phone: str,
    text: str,
    *,
    engine: Engine,
    vault: Vault,
    clock: Callable[[], datetime],
    counters: Counters,
) -> Result:
    phone = normalise_phone(sender_phone)
    if not phone:
        return rejected("NOT_FOUND")
    lookup = phone_lookup(vault, phone)
    case_no = await outbox.last_sent_case(lookup)
    if case_no is None:
        return rejected("NOT_FOUND")
    labels = {lv.label: lv.level for lv in form_levels(engine, Channel.SMS.value)}
    parsed = parse_reply(text, labels)
    if parsed is None:
        return rejected("INVALID_LEVEL")
    level, reason = parsed
    return await submit_rating(
        Submission(
            target="case",
            number=case_no,
            level=level,
            channel=Channel.SMS,
            comment=reason or None,
        ),
        Rater(role="sms", key=f"sms:{lookup}", phone_hash=lookup),
        engine=engine,
        clock=clock,
        counters=counters,
    )


__all__ = [
    "DeliveryReport",
    "RatingRefusal",
    "SmsSendError",
    "SmsSender",
    "deliver_due",
    "is_mobile",
    "parse_reply",
    "rate_by_reply",
]
