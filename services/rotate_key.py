"""Key rotation: move every sealed value and every lookup hash to the active data key.

The lookup key (the HMAC key of `Vault.lookup_hash`) is derived from the active data key,
and it stays that way: rotation re-seals each applicant AND recomputes what was hashed
under the old key - `applicant.id_number_hash`, `applicant.phone_hash`, and the rater keys
that embed them (`citizen:<ID number hash>`, `sms:<phone hash>` in `rating` and
`rating_request`). A lookup key that outlived its data key was considered and rejected:

- A key is rotated because it may have leaked. ID numbers and phone numbers are few enough
  to enumerate, so whoever holds a lookup key reads every stored hash back to a person;
  a lookup key derived from the old key would keep that door open forever.
- Existing databases hash under their first key, so that key could never leave the ring
  (or would have to become a second secret to configure and guard for good).
- Intake keeps a stored phone when a re-sent case has none (`COALESCE`) while it sets
  `key_id` to the active key; that is only right while a hash under the active lookup key
  implies a row sealed under the active key, which is what rotating both keeps true.

So a row whose `key_id` is not the active key needs both re-sealing and re-hashing, and
one pass over those rows does both. Each batch is one transaction: its rows are read and
locked, opened and re-sealed here (only this process holds the keys), and written back
with set-based statements together with the rater keys that embed their hashes, so an
interrupted run leaves every row either moved or untouched, and the next run starts on
what is left. SMS outbox rows carry their
own copy of the phone ciphertext and are re-sealed after the applicants.

Operating it: the service looks applicants up under the active key, so between putting a
new key first and the end of the rotation it would not find the applicants not yet moved
("my cases" empty, SMS replies NOT_FOUND, re-sent cases rejected as CONFLICT). Stop the
service and the worker, put the new key first and keep the old ones in the ring, run
`hcp rotate-key`, start them again. When a re-run reports nothing moved, the old keys may
leave the ring. Should intake have run meanwhile and stored a second applicant row for
someone, the rotation folds the old row into it: its cases follow, and the row under the
new key keeps its data (taking the old row's phone when it has none); a clientRequestId
answered under both keys keeps its first answer.

Rater keys of phones no longer on file, and idempotency records of people who are no
applicant here (refused attempts), cannot be recomputed and stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from tortoise.backends.base.client import BaseDBAsyncClient

from models.stores import sealed
from services.batches import in_transactions, run_in_batches
from services.ingest_cases import phone_lookup
from services.vault import Vault

DEFAULT_BATCH_SIZE = 1000
# Six parameters a row on SQLite, which allows 32,766 per statement.
MAX_BATCH_SIZE = 5000
# The rater keys that embed a lookup hash: `citizen:` (submitRating's resolver) and
# `sms:` (services.sms, replies to reminders).
_CITIZEN, _SMS = "citizen:", "sms:"

Progress = Callable[[str, int, int], None]
"""Told (what, done, total) at the start and after each batch: "applicants" or "sms messages"."""


class MissingKeyError(Exception):
    """Rows are sealed under a key that the key ring does not hold."""


class UnreadableRowError(Exception):
    """A sealed value does not open with the key its row names."""


@dataclass(frozen=True)
class RotationReport:
    resealed: int
    rehashed: int
    merged: int
    rater_keys: int
    sms_resealed: int
    key_id: str


@dataclass(frozen=True)
class _Moved:
    """One applicant row as it is (old hashes) and as it will be (under the active key)."""

    id: int
    old_hash: str
    new_hash: str
    old_phone_hash: str | None
    new_phone_hash: str | None
    name_enc: str
    id_number_enc: str
    phone_enc: str | None


@dataclass
class _Totals:
    """What the batches did so far, and the last row id they reached."""

    after: int = 0
    resealed: int = 0
    rehashed: int = 0
    merged: int = 0
    rater_keys: int = 0


async def rotate_key(
    *, vault: Vault, batch_size: int = DEFAULT_BATCH_SIZE, progress: Progress | None = None
) -> RotationReport:
    """Move every applicant and SMS outbox row not sealed under `vault.active` to it.
    Refuses before changing anything when a row's key is not in the ring."""
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_SIZE}")
    applicants = _teller(progress, "applicants", await _pending(vault, "applicant", "applicant"))
    messages = _teller(progress, "sms messages", await _pending(vault, "sms_outbox", "SMS outbox"))
    people, outbox = _Totals(), _Totals()

    async def applicant_batch(conn: BaseDBAsyncClient) -> int:
        return await _applicant_batch(conn, vault, people, batch_size)

    async def sms_batch(conn: BaseDBAsyncClient) -> int:
        return await _sms_batch(conn, vault, outbox, batch_size)

    await run_in_batches(in_transactions(applicant_batch), tell=applicants)
    sms_resealed = await run_in_batches(in_transactions(sms_batch), tell=messages)
    return RotationReport(
        resealed=people.resealed,
        rehashed=people.rehashed,
        merged=people.merged,
        rater_keys=people.rater_keys,
        sms_resealed=sms_resealed,
        key_id=vault.active,
    )


def _teller(progress: Progress | None, what: str, total: int) -> Callable[[int], None]:
    def tell(done: int) -> None:
        if progress is not None and total:
            progress(what, done, total)

    return tell


async def _pending(vault: Vault, table: sealed.SealedTable, label: str) -> int:
    """How many rows of `table` are not under the active key; refuses when one of their
    keys is not in the ring (named by id: the error text must carry no personal data)."""
    counts = await sealed.keys_elsewhere(table, vault.active)
    missing = sorted(key_id for key_id in counts if not vault.holds(key_id))
    if missing:
        raise _missing(label, missing)
    return sum(counts.values())


def _missing(label: str, key_ids: Sequence[str]) -> MissingKeyError:
    names = ", ".join(repr(kid) for kid in key_ids)
    return MissingKeyError(
        f"{label} rows are sealed under key {names}, which the key ring does not hold: "
        "keep every old key in the ring, after the new active key, until rotate-key "
        "reports nothing left to move"
    )


async def _applicant_batch(
    conn: BaseDBAsyncClient, vault: Vault, totals: _Totals, limit: int
) -> int:
    rows = await sealed.rows_after(conn, "applicant", totals.after, vault.active, limit)
    if not rows:
        return 0
    moved = [_moved(vault, row) for row in rows]
    keep, fold = _survivors(moved, await sealed.hash_holders(conn, [m.new_hash for m in moved]))
    # Rater keys first: their ratings are found through the cases of the rows as they are.
    totals.rater_keys += await _rewrite_rater_keys(conn, moved)
    await sealed.reseal_applicants(
        conn,
        [
            (m.id, m.new_hash, m.new_phone_hash, m.name_enc, m.id_number_enc, m.phone_enc)
            for m in keep
        ],
        vault.active,
    )
    await sealed.fold_applicants(
        conn, [(m.id, into, m.phone_enc, m.new_phone_hash) for m, into in fold]
    )
    totals.after = moved[-1].id
    totals.resealed += len(keep)
    totals.rehashed += sum(
        (m.new_hash, m.new_phone_hash) != (m.old_hash, m.old_phone_hash) for m in keep
    )
    totals.merged += len(fold)
    return len(moved)


def _moved(vault: Vault, row: dict[str, Any]) -> _Moved:
    name = _open(vault, row, "name")
    id_number = _open(vault, row, "id_number")
    phone = _open(vault, row, "phone")
    assert name is not None and id_number is not None
    return _Moved(
        id=int(row["id"]),
        old_hash=row["id_number_hash"],
        # Intake seals the normalised ID number and hashes that same text.
        new_hash=vault.lookup_hash(id_number),
        old_phone_hash=row["phone_hash"],
        new_phone_hash=phone_lookup(vault, phone) if phone else None,
        name_enc=vault.seal(name, "applicant.name"),
        id_number_enc=vault.seal(id_number, "applicant.id_number"),
        phone_enc=vault.seal(phone, "applicant.phone") if phone else None,
    )


def _open(vault: Vault, row: dict[str, Any], field: str) -> str | None:
    sealed = row[f"{field}_enc"]
    if sealed is None:
        return None
    try:
        return vault.open(sealed, f"applicant.{field}", row["key_id"])
    except KeyError:
        raise _missing("applicant", [row["key_id"]]) from None
    except (InvalidTag, ValueError):
        raise UnreadableRowError(
            f"applicant {row['id']}: its {field} does not open with key {row['key_id']!r} "
            "(another key under that id, or damaged data)"
        ) from None


def _survivors(
    moved: list[_Moved], holders: dict[str, int]
) -> tuple[list[_Moved], list[tuple[_Moved, int]]]:
    """The rows re-sealed in place, and the rows folded into the row that holds (or, in
    this batch, first takes) their new hash."""
    owner = dict(holders)
    keep: list[_Moved] = []
    fold: list[tuple[_Moved, int]] = []
    for row in moved:
        into = owner.setdefault(row.new_hash, row.id)
        if into == row.id:
            keep.append(row)
        else:
            fold.append((row, into))
    return keep, fold


async def _rewrite_rater_keys(conn: BaseDBAsyncClient, moved: list[_Moved]) -> int:
    """Rater keys under the old lookup key become the same keys under the new one, so a
    retried clientRequestId still replays its first answer."""
    renamed: dict[str, str] = {}
    for row in moved:
        renamed[_CITIZEN + row.old_hash] = _CITIZEN + row.new_hash
        if row.old_phone_hash and row.new_phone_hash:
            renamed[_SMS + row.old_phone_hash] = _SMS + row.new_phone_hash
    pairs = [(old, new) for old, new in sorted(renamed.items()) if old != new]
    if not pairs:
        return 0
    return await sealed.rename_rater_keys(conn, pairs, [row.id for row in moved])


async def _sms_batch(conn: BaseDBAsyncClient, vault: Vault, totals: _Totals, limit: int) -> int:
    rows = await sealed.rows_after(conn, "sms_outbox", totals.after, vault.active, limit)
    if not rows:
        return 0
    await sealed.reseal_messages(
        conn,
        [
            (int(row["id"]), vault.seal(_open_message(vault, row), "applicant.phone"))
            for row in rows
        ],
        vault.active,
    )
    totals.after = int(rows[-1]["id"])
    return len(rows)


def _open_message(vault: Vault, row: dict[str, Any]) -> str:
    try:
        return vault.open(row["phone_enc"], "applicant.phone", row["key_id"])
    except KeyError:
        raise _missing("SMS outbox", [row["key_id"]]) from None
    except (InvalidTag, ValueError):
        raise UnreadableRowError(
            f"SMS outbox message {row['id']}: its phone does not open with key "
            f"{row['key_id']!r} (another key under that id, or damaged data)"
        ) from None
