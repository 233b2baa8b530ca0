"""Writing an export file: a header row, then the rows chunk by chunk as they are read, to
CSV (UTF-8 with a BOM, so that Excel reads the Chinese right) or XLSX (openpyxl's
write-only mode, which spools the rows to a temporary file instead of keeping them).

Any table plugs in with a list of headers and an async iterator of row chunks (`Table`);
the writer knows nothing of ratings or work items."""

from __future__ import annotations

import asyncio
import csv
import io
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell

Cell = str | int | float | None
Row = Sequence[Cell]
Progress = Callable[[int], None]  # rows written so far, after each chunk

FORMATS = ("csv", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_BOM = "\ufeff"
EXCEL_ROWS = 1_048_576  # the most rows Excel opens in a worksheet, its header row included
_BLOCK = 64 * 1024
# What a spreadsheet would take for the start of a formula: a cell of text that opens with
# one of these (a rater's comment "=HYPERLINK(…)") is written so that it stays text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Table:
    headers: Sequence[str]
    chunks: AsyncIterator[Sequence[Row]]


def written(
    table: Table, fmt: str, progress: Progress | None = None, *, sheet_rows: int = EXCEL_ROWS
) -> AsyncIterator[bytes]:
    """The file's bytes as they are made (`fmt` one of FORMATS). A workbook goes on to a
    new worksheet, headers first, when one holds `sheet_rows` rows."""
    if fmt == "csv":
        return _csv(table, progress)
    return _xlsx(table, progress, sheet_rows)


def _csv_cell(value: Cell) -> Cell:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


async def _csv(table: Table, progress: Progress | None) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    lines = csv.writer(buffer)
    buffer.write(_BOM)
    lines.writerow(table.headers)
    yield _taken(buffer).encode("utf-8")
    done = 0
    async for chunk in table.chunks:
        lines.writerows([_csv_cell(value) for value in row] for row in chunk)
        yield _taken(buffer).encode("utf-8")
        done += len(chunk)
        if progress is not None:
            progress(done)


def _taken(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


class _Sheets:
    """A write-only workbook, a worksheet at a time; its calls run in a worker thread
    (openpyxl is blocking)."""

    def __init__(self, headers: Sequence[str], most_rows: int) -> None:
        self._book = Workbook(write_only=True)
        self._headers = list(headers)
        self._most_rows = most_rows
        self._next_sheet()

    def _next_sheet(self) -> None:
        self._sheet = self._book.create_sheet()
        self._sheet.append(self._headers)
        self._rows = 1

    def append(self, chunk: Sequence[Row]) -> None:
        for row in chunk:
            if self._rows >= self._most_rows:
                self._next_sheet()
            self._sheet.append([self._cell(value) for value in row])
            self._rows += 1

    def _cell(self, value: Cell) -> Any:
        if not isinstance(value, str):
            return value
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        if not text.startswith("="):
            return text
        cell = WriteOnlyCell(self._sheet, value=text)
        cell.data_type = "s"  # written as text, never as a formula
        return cell

    def save(self, target: IO[bytes]) -> None:
        self._book.save(target)
        target.seek(0)


async def _xlsx(table: Table, progress: Progress | None, sheet_rows: int) -> AsyncIterator[bytes]:
    book = _Sheets(table.headers, sheet_rows)
    done = 0
    async for chunk in table.chunks:
        await asyncio.to_thread(book.append, chunk)
        done += len(chunk)
        if progress is not None:
            progress(done)
    # The workbook is a zip whose parts are complete only at the end: it is saved to a
    # temporary file, then read out in blocks.
    with tempfile.TemporaryFile() as target:
        await asyncio.to_thread(book.save, target)
        while block := await asyncio.to_thread(target.read, _BLOCK):
            yield block
