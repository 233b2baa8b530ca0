"""Key custody: operators' statements that a data key has a second copy kept apart.

Every applicant's personal data is sealed under the data key: a lost key loses that data
for good, so a deployment should know that a second copy of the sealing key exists (offline,
with another custodian). The database cannot see the copy; it records who said so, when,
and the key's fingerprint, so a statement about one key says nothing about the next one.

The fingerprint is an HMAC of a fixed label under the key, truncated: it tells two keys
apart (and an offline copy from another key) without revealing anything of the key.
"""

from __future__ import annotations

import base64
import hmac
from dataclasses import dataclass
from datetime import datetime

from models.operations import KeyCustody
from services.vault import Vault

_LABEL = b"hcp data key fingerprint v1"
FINGERPRINT_HEX = 16
MAX_NAME = 64  # key_custody.acknowledged_by


class CustodianNameError(Exception):
    """The custodian's name is empty or longer than the column holds."""


@dataclass(frozen=True)
class RingKey:
    key_id: str
    fingerprint: str
    seals: bool  # the first key of the ring: new data is sealed under it


@dataclass(frozen=True)
class Custody:
    key: RingKey
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    note: str = ""

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_by is not None


def fingerprint(key: bytes) -> str:
    return hmac.digest(key, _LABEL, "sha256").hex()[:FINGERPRINT_HEX]


def ring_keys(ring: str) -> list[RingKey]:
    """The keys of a ring, the sealing key first; KeyRingError as Vault.from_ring raises."""
    Vault.from_ring(ring)
    keys = []
    for index, entry in enumerate(ring.split(",")):
        kid, _, encoded = entry.strip().partition(":")
        keys.append(RingKey(kid, fingerprint(base64.b64decode(encoded)), seals=index == 0))
    return keys


async def custody(ring: str) -> list[Custody]:
    """Each key of the ring with the statement recorded for it, if any."""
    found = []
    for key in ring_keys(ring):
        row = await KeyCustody.get_or_none(key_id=key.key_id, fingerprint=key.fingerprint)
        if row is None:
            found.append(Custody(key, None, None))
        else:
            found.append(Custody(key, row.acknowledged_by, row.acknowledged_at, row.note))
    return found


async def acknowledge(*, ring: str, by: str, note: str, now: datetime) -> tuple[Custody, bool]:
    """Record that a second copy of the ring's sealing key is kept apart; the statement
    and whether it is new (an earlier statement about the same key is kept as it was)."""
    name = by.strip()
    if not name or len(name) > MAX_NAME:
        raise CustodianNameError(f"the custodian's name must be 1 to {MAX_NAME} characters")
    key = ring_keys(ring)[0]
    row, created = await KeyCustody.get_or_create(
        key_id=key.key_id,
        fingerprint=key.fingerprint,
        defaults={"acknowledged_by": name, "acknowledged_at": now, "note": note.strip()},
    )
    return Custody(key, row.acknowledged_by, row.acknowledged_at, row.note), created
