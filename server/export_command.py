"""`hcp export ratings|work-items|statistics --from DATE --to DATE [--region CODE]
[--granularity MONTH] [--group-by department,window] --format csv|xlsx [--output PATH]`: the
ratings, work items or figures of a period (Beijing dates, both included) as a file, written
as the rows are read; --granularity and --group-by cut the figures (statistics only).
Progress on stderr; a CSV goes to stdout when no --output is given (an XLSX needs one). Exit
0 when written, 2 for bad arguments (one line on stderr), an unusable rules file or
database."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from models.stores.scope import Scope
from rules import BUSINESS_TZ, Engine, PolicyError
from server.database import open_database
from server.settings import Settings
from services.export_files import FORMATS, Table, written
from services.exports import KINDS, ExportRefusal, Period, export_table, period, reach
from services.stat_export import statistics_export
from services.stats_refresh import lag


def register(sub: Any) -> None:
    """Adds the `export` subcommand to the `hcp` parser's subparsers."""
    command = sub.add_parser(
        "export",
        help="write the ratings, work items or figures of a period as CSV or XLSX",
        description="Dates are Beijing dates, both included. No personal data is exported.",
    )
    command.add_argument("kind", choices=KINDS)
    # Plain text, checked by the command, so that a bad date is one line, not argparse's usage.
    command.add_argument("--from", dest="first", required=True, metavar="YYYY-MM-DD")
    command.add_argument("--to", dest="last", required=True, metavar="YYYY-MM-DD")
    command.add_argument("--region", help="this region and every region below it")
    command.add_argument(
        "--granularity",
        metavar="DAY|WEEK|MONTH|QUARTER|YEAR",
        help="statistics: a row per this period (default MONTH)",
    )
    command.add_argument(
        "--group-by",
        dest="group_by",
        metavar="DIMENSION[,DIMENSION]",
        help="statistics: a row per region, department, window, staff, matter or channel",
    )
    command.add_argument("--format", dest="fmt", choices=FORMATS, default="csv")
    command.add_argument("--output", type=Path, help="the file to write (default: stdout, CSV)")
    command.set_defaults(run=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    if args.fmt == "xlsx" and args.output is None:
        return _refuse("an XLSX file needs --output PATH")
    if args.kind != "statistics" and (args.granularity or args.group_by):
        return _refuse("--granularity and --group-by cut the figures: `hcp export statistics`")
    chosen = period(args.first, args.last)
    if isinstance(chosen, ExportRefusal):
        return _refuse(_PROBLEMS[chosen.code].format(args=args))
    try:
        engine = Engine.from_path(settings.rules_path)
    except (PolicyError, OSError) as exc:
        return _refuse(f"the rules file {settings.rules_path} is not usable: {exc}")
    return asyncio.run(_export(settings, args, chosen, engine))


_PROBLEMS = {
    "BAD_DATE": "--from and --to take dates as YYYY-MM-DD (got {args.first!r}, {args.last!r})",
    "PERIOD_REVERSED": "--from {args.first} is after --to {args.last}",
    "BAD_REGION": "--region {args.region!r} is not a region code (6, 9 or 12 digits)",
    "UNKNOWN_REGION": "--region {args.region} is not a region of this database",
    "BAD_PERIOD": "a period is at most five years, and figures by DAY at most one",
    "BAD_GRANULARITY": "--granularity {args.granularity!r} is not DAY, WEEK, MONTH, QUARTER "
    "or YEAR",
    "BAD_GROUP_BY": "--group-by {args.group_by!r}: region, department, window, staff, matter "
    "or channel, comma-separated, each once",
}
_WHAT = {"ratings": "ratings", "work-items": "work items", "statistics": "rows of figures"}


async def _export(
    settings: Settings, args: argparse.Namespace, chosen: Period, engine: Engine
) -> int:
    async with open_database(settings):
        scopes = await reach(None, args.region)
        if isinstance(scopes, ExportRefusal):
            return _refuse(_PROBLEMS.get(scopes.code, scopes.message).format(args=args))
        table = await _table(args, scopes, chosen, engine)
        if isinstance(table, ExportRefusal):
            return _refuse(_PROBLEMS.get(table.code, table.message).format(args=args))
        what = _WHAT[args.kind]
        if args.kind == "statistics":
            await _say_how_current()
        done = 0

        def progress(count: int) -> None:
            nonlocal done
            done = count
            _say(f"export: {count:,} {what}")

        blocks = written(table, args.fmt, progress)
        if args.output is None:
            await _copy(blocks, sys.stdout.buffer)
        else:
            await _write(blocks, args.output)
    _say(f"export: {done:,} {what} written to {args.output or 'stdout'}")
    return 0


async def _table(
    args: argparse.Namespace, scopes: list[Scope], chosen: Period, engine: Engine
) -> Table | ExportRefusal:
    if args.kind != "statistics":
        return export_table(args.kind, scopes=scopes, chosen=chosen, engine=engine)
    return await statistics_export(
        None,
        engine=engine,
        chosen=chosen,
        region=args.region,
        granularity=args.granularity,
        group_by=args.group_by,
    )


async def _say_how_current() -> None:
    """The figures are counters the sweep keeps: say how far behind the data they are."""
    now = datetime.now(UTC)
    behind = await lag(now)
    as_of = (now - behind).astimezone(BUSINESS_TZ).isoformat(timespec="seconds")
    seconds = behind.total_seconds()
    _say(f"export: the figures count every change until {as_of} ({seconds:.0f} s ago)")


async def _copy(blocks: AsyncIterator[bytes], target: IO[bytes]) -> None:
    async for block in blocks:
        target.write(block)
    target.flush()


async def _write(blocks: AsyncIterator[bytes], path: Path) -> None:
    """Into PATH.part, renamed to PATH once complete: an export that fails half-way leaves
    no file that looks whole."""
    part = path.with_name(path.name + ".part")
    try:
        with part.open("wb") as target:
            await _copy(blocks, target)
        os.replace(part, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            part.unlink()


def _refuse(problem: str) -> int:
    _say(f"hcp export: {problem}")
    return 2


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)  # noqa: T201
