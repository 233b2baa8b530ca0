"""Reference data import: regions, departments, halls, windows, staff and matters from the
CSV, XLSX and YAML files local offices keep (`hcp import`, and the demo seed).

Reading turns each file into tables of one kind each, their rows numbered as the user sees
them (a spreadsheet's row, a YAML item's line). Importing checks every row, then writes the
good ones kind by kind in dependency order (regions → departments, halls → windows →
staff → matters), each kind in one transaction with set-based statements, upserting by
code. A bad row is reported with file, row, column and a plain Chinese message and is not
written; a row that refers to a rejected or unknown row is itself rejected. The import is
the authority over reference data: it may move a window to another department, and it
replaces a staff member's windows with the ones listed.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.db import connection
from models.stores import reference_rows as rows
from services.reference_checks import (
    Candidate,
    ImportReport,
    Issue,
    State,
    check_kind,
    diff,
)
from services.reference_files import SourceFile, read_file
from services.reference_kinds import KINDS, SPECS, Progress, UnreadableFileError


async def import_reference(
    sources: Sequence[SourceFile], *, check_only: bool, progress: Progress | None = None
) -> ImportReport:
    """Check every row of `sources`, then (unless `check_only`) write the good ones."""
    report = ImportReport(checked_only=check_only, files=len(sources))
    for source in sources:
        report.notes.extend(source.notes)
    tables = [t for s in sources for t in s.tables]
    total = sum(len(t.rows) for t in tables)
    report.rows = total
    state = State(db=await rows.current_rows(connection()))
    checked = 0
    for kind in KINDS:
        candidates: list[Candidate] = []
        for table in (t for t in tables if t.kind == kind):
            if table.problem is not None:
                report.issues.append(Issue(table.file, table.sheet, None, None, table.problem))
                report.rejected += len(table.rows)
                continue
            candidates.extend(Candidate(table, row, {}) for row in table.rows)
        accepted = check_kind(SPECS[kind], candidates, state, report)
        checked += len(candidates)
        if progress and candidates:
            progress(f"{kind} checked", checked, total)
        changed = diff(kind, accepted, state.db[kind], report)
        if not check_only and changed:
            await rows.write_kind(kind, SPECS[kind].table, changed, state.db[kind], progress)
    order = {source.path: index for index, source in enumerate(sources)}
    report.issues.sort(key=lambda i: (order.get(i.file, 0), i.sheet or "", i.row or 0))
    return report


__all__ = [
    "KINDS",
    "ImportReport",
    "Issue",
    "Progress",
    "SourceFile",
    "UnreadableFileError",
    "import_reference",
    "read_file",
]
