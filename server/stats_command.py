"""`hcp stats rebuild [--from DATE] [--to DATE]`: recount the statistics of those days (all
days with a completed case when not given) from the raw rows, a month per transaction, with
progress on stderr: after a repair, a restore, or to start afresh. `hcp stats refresh`:
recount now what the writes have marked (the sweep does it every pass). `hcp stats status`:
how far behind the figures are. One JSON line on stdout; exit 2 for bad arguments."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import UTC, date, datetime
from typing import Any

from server.database import open_database
from server.settings import Settings
from services.stats_refresh import lag, rebuild, refresh_all


def register(sub: Any) -> None:
    command = sub.add_parser("stats", help="rebuild, refresh or inspect the statistics")
    action = command.add_subparsers(dest="stats_action", required=True)
    rebuilding = action.add_parser("rebuild", help="recount days from the raw rows")
    rebuilding.add_argument("--from", dest="first", metavar="YYYY-MM-DD")
    rebuilding.add_argument("--to", dest="last", metavar="YYYY-MM-DD")
    action.add_parser("refresh", help="recount the cells the writes marked")
    action.add_parser("status", help="how far behind the figures are")
    command.set_defaults(run=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    first = last = None
    if args.stats_action == "rebuild":
        try:
            first = date.fromisoformat(args.first) if args.first else None
            last = date.fromisoformat(args.last) if args.last else None
        except ValueError:
            return _refuse("--from and --to take dates as YYYY-MM-DD")
        if first and last and first > last:
            return _refuse(f"--from {first} is after --to {last}")
    line = asyncio.run(_run(settings, args.stats_action, first, last))
    print(json.dumps(line), flush=True)
    return 0


async def _run(
    settings: Settings, action: str, first: date | None, last: date | None
) -> dict[str, object]:
    started = time.monotonic()
    async with open_database(settings):
        if action == "rebuild":
            report = await rebuild(first, last, progress=_progress)
            # What changed while it ran was marked; count it now rather than at the next sweep.
            cells = await refresh_all()
            return {
                "rebuilt_days": report.days,
                "first": report.first.isoformat() if report.first else None,
                "last": report.last.isoformat() if report.last else None,
                "cells_refreshed_after": cells,
                "seconds": round(time.monotonic() - started, 1),
            }
        if action == "refresh":
            return {"cells_recounted": await refresh_all()}
        behind = await lag(datetime.now(UTC))
        return {"lag_seconds": round(behind.total_seconds(), 1)}


def _progress(what: str, done: int, total: int) -> None:
    share = done * 100 // total
    bar = "#" * (share // 5) + "." * (20 - share // 5)
    print(
        f"stats rebuild: [{bar}] {done}/{total} months ({share}%), {what} done",
        file=sys.stderr,
        flush=True,
    )


def _refuse(message: str) -> int:
    print(f"hcp stats: {message}", file=sys.stderr)
    return 2
