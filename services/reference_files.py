"""Reading reference files (CSV, XLSX, YAML) into tables of one kind each, their rows
numbered as the user sees them (a spreadsheet's row, a YAML item's line)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import yaml

from services.reference_kinds import (
    SPECS,
    KindSpec,
    UnreadableFileError,
    aliases,
    kind_named,
    norm,
)


@dataclass
class Row:
    number: int
    cells: dict[str, Any]
    columns: dict[str, str]
    """field -> the header (or YAML key) as written, for messages."""


@dataclass
class Table:
    file: str
    sheet: str | None
    kind: str
    rows: list[Row] = field(default_factory=list)
    problem: str | None = None
    """Set when the whole table is rejected (a required column missing, a column twice)."""


@dataclass
class SourceFile:
    path: str
    tables: list[Table]
    notes: list[str] = field(default_factory=list)


def read_file(path: Path, *, kind: str | None = None) -> SourceFile:
    """One file's tables. `kind` forces the kind of a CSV file and of workbook sheets not
    named by kind. Raises UnreadableFileError with a plain Chinese message."""
    suffix = path.suffix.casefold()
    reader = _READERS.get(suffix)
    if reader is None:
        hint = "（旧版 .xls 请在 Excel 中另存为 .xlsx）" if suffix == ".xls" else ""
        raise UnreadableFileError(
            f"不支持的文件类型“{suffix or '无扩展名'}”：应为 .csv、.xlsx 或 .yaml{hint}"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFileError(f"无法读取文件：{exc.strerror or type(exc).__name__}") from None
    return reader(str(path), path.stem, data, kind)


def decode(data: bytes) -> str:
    """CSV text as offices save it: UTF-8 with or without BOM, GB18030/GBK (Excel in
    China), UTF-16 with BOM (Excel's "Unicode text")."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFileError("无法识别文件编码：请保存为 UTF-8 或 GB18030/GBK 编码的 CSV")


def _read_csv(path: str, stem: str, data: bytes, kind: str | None) -> SourceFile:
    try:
        text = decode(data)
    except UnicodeDecodeError:
        raise UnreadableFileError("文件编码有误：无法按其字节顺序标记解码") from None
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise UnreadableFileError(f"CSV 格式错误：{exc}") from None
    table, notes = _table(path, None, enumerate(records, start=1), [kind, kind_named(stem)])
    if table is None:
        raise UnreadableFileError("文件中没有表头行")
    return SourceFile(path, [table], notes)


def _read_xlsx(path: str, stem: str, data: bytes, kind: str | None) -> SourceFile:
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise UnreadableFileError(
            "不是有效的 XLSX 工作簿（请用 Excel 或 WPS 另存为 .xlsx）"
        ) from None
    try:
        sheets = list(book.worksheets)
        source = SourceFile(path, [])
        for sheet in sheets:
            hints = [kind_named(sheet.title), kind, kind_named(stem) if len(sheets) == 1 else None]
            rows = enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)
            try:
                table, notes = _table(path, sheet.title, rows, hints)
            except UnreadableFileError as exc:
                if len(sheets) == 1:
                    raise
                source.notes.append(f"{path}[{sheet.title}]: 已跳过该工作表：{exc}")
                continue
            source.notes.extend(notes)
            if table is not None:
                source.tables.append(table)
    finally:
        book.close()
    if not source.tables:
        raise UnreadableFileError("工作簿中没有可导入的工作表")
    return source


def _table(
    path: str,
    sheet: str | None,
    records: Iterable[tuple[int, Sequence[Any]]],
    hints: Sequence[str | None],
) -> tuple[Table | None, list[str]]:
    """A sheet or CSV file: the first non-blank row is the header, blank rows are skipped."""
    rows = iter(records)
    header: list[str] | None = None
    for _number, record in rows:
        titles = [text(v) for v in record]
        if any(titles):
            header = titles
            break
    if header is None:
        return None, []
    kind = next((k for k in hints if k), None) or _kind_by_headers(header)
    where = f"{path}[{sheet}]" if sheet else path
    if kind is None:
        raise UnreadableFileError(
            "无法判断数据种类：请按种类命名文件（如 regions.csv、窗口.csv）或工作表，"
            "或用 --kind 指定"
        )
    spec = SPECS[kind]
    table = Table(path, sheet, kind)
    known = aliases(spec)
    positions: dict[str, int] = {}
    columns: dict[str, str] = {}
    ignored: list[str] = []
    for index, raw in enumerate(header):
        if not raw:
            continue
        name = known.get(norm(raw))
        if name is None:
            ignored.append(raw)
        elif name in positions:
            table.problem = (
                f"表头“{columns[name]}”和“{raw}”是同一列（{spec.column(name).label}），只能保留一列"
            )
        else:
            positions[name], columns[name] = index, raw
    for column in spec.columns:
        if column.required and column.field not in positions and table.problem is None:
            table.problem = f"缺少必填列“{column.label}”：可用的表头有 {'、'.join(column.headers)}"
    for number, record in rows:
        padded = [record[i] if i < len(record) else None for i in range(len(header))]
        if not any(text(v) for v in padded):
            continue
        cells = {name: padded[i] for name, i in positions.items()}
        table.rows.append(Row(number, cells, columns))
    notes = [f"{where}: 未识别的列已忽略：{'、'.join(ignored)}"] if ignored else []
    return table, notes


def _kind_by_headers(header: Sequence[str]) -> str | None:
    found = set()
    for spec in SPECS.values():
        telltale = spec.column(spec.telltale) if spec.telltale else None
        if telltale and any(norm(h) in {norm(t) for t in telltale.headers} for h in header):
            found.add(spec.kind)
    return found.pop() if len(found) == 1 else None


def _read_yaml(path: str, stem: str, data: bytes, kind: str | None) -> SourceFile:
    del stem, kind  # a YAML file names its kinds itself
    try:
        loader = yaml.SafeLoader(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise UnreadableFileError("YAML 文件应为 UTF-8 编码") from None
    try:
        root = loader.get_single_node()
        document = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"第 {mark.line + 1} 行" if mark is not None else ""
        raise UnreadableFileError(f"YAML 格式错误{at}") from None
    finally:
        loader.dispose()
    if not isinstance(document, dict) or not isinstance(root, yaml.MappingNode):
        raise UnreadableFileError("YAML 文件的顶层应为按种类分的列表（regions:、windows: …）")
    source = SourceFile(path, [])
    for key_node, value_node in root.value:
        key = str(key_node.value)
        kind = next((s.kind for s in SPECS.values() if norm(key) in map(norm, s.names)), None)
        if kind is None:
            source.notes.append(f"{path}: 顶层键“{key}”不是数据种类，已忽略")
            continue
        items = document.get(key_node.value)
        if not isinstance(items, list) or not isinstance(value_node, yaml.SequenceNode):
            raise UnreadableFileError(f"“{key}”应为列表（第 {key_node.start_mark.line + 1} 行）")
        table, ignored = _yaml_table(path, SPECS[kind], items, value_node)
        source.tables.append(table)
        if ignored:
            source.notes.append(f"{path}: {key} 中未识别的键已忽略：{'、'.join(sorted(ignored))}")
    return source


def _yaml_table(
    path: str, spec: KindSpec, items: list[Any], nodes: yaml.SequenceNode
) -> tuple[Table, set[str]]:
    table = Table(path, None, spec.kind)
    known = aliases(spec)
    ignored: set[str] = set()
    for item, node in zip(items, nodes.value, strict=True):
        number = node.start_mark.line + 1
        if not isinstance(item, dict):
            table.rows.append(Row(number, {"_": item}, {}))
            continue
        cells: dict[str, Any] = {}
        columns: dict[str, str] = {}
        for key, value in item.items():
            name = known.get(norm(str(key)))
            if name is None:
                ignored.add(str(key))
            else:
                cells[name], columns[name] = value, str(key)
        table.rows.append(Row(number, cells, columns))
    return table, ignored


_READERS = {
    ".csv": _read_csv,
    ".xlsx": _read_xlsx,
    ".xlsm": _read_xlsx,
    ".yaml": _read_yaml,
    ".yml": _read_yaml,
}


def text(value: Any) -> str:
    """A cell as text: numbers as Excel shows whole numbers (330283, not 330283.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --------------------------------------------------------------------------- importing
