"""`hcp import FILE… [--check] [--kind KIND]`: reference data from CSV, XLSX and YAML files
(docs/import.md). Problems and progress on stderr, one JSON summary line on stdout.
Exit 0 when every row was imported (or would be, with --check), 1 when rows were rejected,
2 when a file could not be read (then nothing is written)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from server.database import open_database
from server.settings import Settings
from services.reference_import import (
    KINDS,
    ImportReport,
    SourceFile,
    UnreadableFileError,
    import_reference,
    read_file,
)


def register(sub: Any) -> None:
    """Adds the `import` subcommand to the `hcp` parser's subparsers."""
    command = sub.add_parser(
        "import",
        help="load regions, departments, halls, windows, staff and matters (CSV, XLSX, YAML)",
        description="Upsert reference data by code; see docs/import.md for the columns.",
    )
    command.add_argument("files", nargs="+", type=Path, metavar="FILE")
    command.add_argument(
        "--check", action="store_true", help="check every row against the database, write nothing"
    )
    command.add_argument(
        "--kind",
        choices=KINDS,
        help="the kind of every CSV file (and of workbook sheets not named by kind)",
    )
    command.set_defaults(run=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    sources = []
    unreadable = False
    for path in args.files:
        try:
            sources.append(read_file(path, kind=args.kind))
        except UnreadableFileError as exc:
            _say(f"hcp import: {path}: {exc}")
            unreadable = True
        else:
            _say(f"import: {path}: {sum(len(t.rows) for t in sources[-1].tables):,} rows read")
    if unreadable:
        _say("hcp import: nothing was imported; fix the files above and run it again")
        return 2
    report = asyncio.run(_import(settings, sources, args.check))
    for note in report.notes:
        _say(f"import: {note}")
    for issue in report.issues:
        _say(_located(issue.file, issue.sheet, issue.row, issue.column, issue.message))
    if not any(report.created.values()) and not any(report.updated.values()):
        _say(f"import: nothing changed ({sum(report.unchanged.values()):,} rows already as given)")
    print(json.dumps(summary(report), ensure_ascii=False), flush=True)  # noqa: T201
    return 1 if report.rejected else 0


async def _import(settings: Settings, sources: list[SourceFile], check: bool) -> ImportReport:
    async with open_database(settings):
        return await import_reference(sources, check_only=check, progress=_progress)


def summary(report: ImportReport) -> dict[str, Any]:
    line = asdict(report)
    del line["notes"]
    line["errors"] = line.pop("issues")
    return line


def _located(file: str, sheet: str | None, row: int | None, column: str | None, text: str) -> str:
    """FILE[SHEET]:ROW: COLUMN: message, as `hcp rules check` locates its problems."""
    where = f"{file}[{sheet}]" if sheet else file
    if row is not None:
        where += f":{row}"
    return f"{where}: {column}: {text}" if column else f"{where}: {text}"


def _progress(what: str, done: int, total: int) -> None:
    share = min(100, done * 100 // total) if total else 100
    _say(f"import: {done:,}/{total:,} {what} ({share}%)")


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)  # noqa: T201
