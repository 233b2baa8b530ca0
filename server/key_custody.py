"""`hcp key-custody`: which data keys have a second copy on record, and recording one.

    hcp key-custody status                        each key of the ring, acknowledged or not
    hcp key-custody acknowledge --by NAME [--note TEXT] [--yes]
    hcp key-custody fingerprint [--file PATH]     a ring's key ids and fingerprints (no
                                                  database: compare an offline copy)

Keys appear by id and fingerprint only, never themselves.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from server import secrets
from server.database import open_database
from server.settings import Settings
from services.key_custody import (
    CustodianNameError,
    Custody,
    acknowledge,
    custody,
    ring_keys,
)
from services.vault import KeyRingError

CONFIRM = """\
You are about to record that a second copy of the data key {key_id} (fingerprint
{fingerprint}) is stored apart from this server: offline (paper, an encrypted drive in a
safe) or with another custodian, and that you checked the copy's fingerprint with
`hcp key-custody fingerprint --file COPY`. Every applicant's personal data is sealed
under this key; if every copy is lost, that data is lost for good.
Type the key id ({key_id}) to confirm: """


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "key-custody", help="whether each data key has a second copy kept apart; record one"
    )
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("status", help="each key of the ring and its second copy").set_defaults(
        run=_status
    )
    ack = actions.add_parser(
        "acknowledge", help="record that a second copy of the sealing key is stored apart"
    )
    ack.add_argument("--by", required=True, help="who keeps or checked the copy")
    ack.add_argument("--note", default="", help="where the copy is, e.g. 'safe B, room 301'")
    ack.add_argument("--yes", action="store_true", help="confirm without the prompt")
    ack.set_defaults(run=_acknowledge)
    prints = actions.add_parser("fingerprint", help="key ids and fingerprints of a ring")
    prints.add_argument("--file", type=Path, help="a ring file (default: the configured ring)")
    prints.set_defaults(run=_fingerprint)


def _ring(settings: Settings) -> str | None:
    try:
        ring = secrets.data_key(settings)
        ring_keys(ring)
    except (OSError, UnicodeDecodeError, KeyRingError) as exc:
        _say(f"hcp key-custody: the data key ring is not usable: {_reason(exc)}")
        return None
    return ring


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    if isinstance(exc, UnicodeDecodeError):
        return "the file is not ASCII text"
    return str(exc)


def _status(settings: Settings, _args: argparse.Namespace) -> int:
    ring = _ring(settings)
    if ring is None:
        return 2
    for entry in asyncio.run(_custody(settings, ring)):
        sys.stdout.write(_line(entry) + "\n")
    return 0


async def _custody(settings: Settings, ring: str) -> list[Custody]:
    async with open_database(settings):
        return await custody(ring)


def _line(entry: Custody) -> str:
    role = "seals new data" if entry.key.seals else "opens older data"
    head = f"{entry.key.key_id}  fingerprint {entry.key.fingerprint}  {role}: "
    if entry.acknowledged_at is None:
        return head + "NO second copy acknowledged"
    when = entry.acknowledged_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    note = f" ({entry.note})" if entry.note else ""
    return head + f"second copy acknowledged by {entry.acknowledged_by} on {when}{note}"


def _acknowledge(settings: Settings, args: argparse.Namespace) -> int:
    ring = _ring(settings)
    if ring is None:
        return 2
    sealing = ring_keys(ring)[0]
    if not args.yes:
        _say(CONFIRM.format(key_id=sealing.key_id, fingerprint=sealing.fingerprint), end="")
        if sys.stdin.readline().strip() != sealing.key_id:
            _say("not confirmed: nothing recorded")
            return 1
    try:
        entry, new = asyncio.run(_record(settings, ring, args.by, args.note))
    except CustodianNameError as exc:
        _say(f"hcp key-custody: {exc}")
        return 2
    if not new:
        _say(f"already on record: {_line(entry)}; nothing changed")
    at = entry.acknowledged_at
    summary = {
        "key_id": entry.key.key_id,
        "fingerprint": entry.key.fingerprint,
        "acknowledged_by": entry.acknowledged_by,
        "acknowledged_at": at.astimezone(UTC).isoformat() if at else None,
        "new": new,
    }
    sys.stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")
    return 0


async def _record(settings: Settings, ring: str, by: str, note: str) -> tuple[Custody, bool]:
    async with open_database(settings):
        return await acknowledge(ring=ring, by=by, note=note, now=datetime.now(UTC))


def _fingerprint(settings: Settings, args: argparse.Namespace) -> int:
    if args.file is None:
        ring = _ring(settings)
    else:
        try:
            ring = args.file.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            _say(f"hcp key-custody: {args.file} cannot be read: {_reason(exc)}")
            return 2
    if ring is None:
        return 2
    try:
        keys = ring_keys(ring)
    except KeyRingError as exc:
        _say(f"hcp key-custody: the data key ring is not usable: {exc}")
        return 2
    for key in keys:
        sys.stdout.write(f"{key.key_id}  fingerprint {key.fingerprint}\n")
    return 0


def _say(text: str, end: str = "\n") -> None:
    sys.stderr.write(text + end)
    sys.stderr.flush()
