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

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import yaml
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

from models.db import connection, dialect, execute, fetch, row_source
from models.enums import MatterType
from models.reference import Department, Hall, Matter, Region, Staff, Window

KINDS = ("regions", "departments", "halls", "windows", "staff", "matters")
"""In dependency order: a kind refers only to kinds before it (regions to themselves)."""

CHUNK = 1000
PROGRESS_EVERY = 1000

Progress = Callable[[str, int, int], None]
"""Told (what, done, total) every PROGRESS_EVERY rows and at the end of each step."""

# GB/T 2260 county-level codes are 6 digits; township (街道/乡镇) codes 9 and village
# (社区/村) codes 12, as the statistics bureau's division codes extend them.
REGION_CODE = re.compile(r"\d{6}(\d{3}(\d{3})?)?")
WINDOW_LIST = re.compile(r"[;；、,，\s]+")

MATTER_TYPES = {
    "行政许可": MatterType.LICENSING,
    "行政确认": MatterType.CONFIRMATION,
    "行政给付": MatterType.PAYMENT,
    "行政奖励": MatterType.AWARD,
    "行政裁决": MatterType.ADJUDICATION,
    "其他行政权力": MatterType.OTHER_POWER,
    "公共服务": MatterType.PUBLIC_SERVICE,
}


class UnreadableFileError(Exception):
    """A file could not be read as reference data at all (missing, unknown format, kind)."""


@dataclass(frozen=True)
class Column:
    field: str
    label: str
    headers: tuple[str, ...]
    required: bool = True
    refers: str | None = None
    many: bool = False
    max_length: int | None = None


@dataclass(frozen=True)
class KindSpec:
    kind: str
    label: str
    table: str
    names: tuple[str, ...]
    columns: tuple[Column, ...]
    # The column whose presence tells this kind's file apart by its headers alone.
    telltale: str | None = None

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.field == name)


def _length(model: type[Model], name: str) -> int:
    length: int = model._meta.fields_map[name].max_length  # type: ignore[attr-defined]
    return length


def _code(model: type[Model], *headers: str) -> Column:
    return Column(
        "code", "编码", ("code", "编码", "代码", *headers), max_length=_length(model, "code")
    )


def _name(model: type[Model], *headers: str) -> Column:
    return Column("name", "名称", ("name", "名称", *headers), max_length=_length(model, "name"))


def _region(required: bool) -> Column:
    return Column(
        "region",
        "所属区划",
        ("region", "所属区划", "所属区划代码", "区划代码"),
        required=required,
        refers="regions",
    )


_DEPARTMENT = Column(
    "department",
    "所属部门",
    ("department", "所属部门", "部门编码", "部门代码"),
    refers="departments",
)

SPECS = {
    spec.kind: spec
    for spec in (
        KindSpec(
            "regions",
            "区划",
            "region",
            ("regions", "region", "行政区划", "区划"),
            (
                _code(Region, "区划代码", "行政区划代码"),
                _name(Region, "区划名称", "行政区划名称"),
                Column(
                    "parent",
                    "上级区划",
                    ("parent", "上级区划代码", "上级区划", "上级代码"),
                    required=False,
                    refers="regions",
                ),
            ),
            telltale="parent",
        ),
        KindSpec(
            "departments",
            "部门",
            "department",
            ("departments", "department", "部门"),
            (
                _code(Department, "部门编码", "部门代码"),
                _name(Department, "部门名称"),
                _region(True),
            ),
        ),
        KindSpec(
            "halls",
            "大厅",
            "hall",
            ("halls", "hall", "大厅"),
            (_code(Hall, "大厅编码", "大厅代码"), _name(Hall, "大厅名称"), _region(True)),
        ),
        KindSpec(
            "windows",
            "窗口",
            "service_window",
            ("windows", "window", "窗口"),
            (
                _code(Window, "窗口编码", "窗口代码"),
                _name(Window, "窗口名称"),
                Column(
                    "hall",
                    "所属大厅",
                    ("hall", "所属大厅", "大厅编码", "大厅代码"),
                    required=False,
                    refers="halls",
                ),
                _DEPARTMENT,
            ),
            telltale="hall",
        ),
        KindSpec(
            "staff",
            "工作人员",
            "staff",
            ("staff", "工作人员", "人员"),
            (
                _code(Staff, "工号", "人员编码", "人员代码"),
                _name(Staff, "姓名"),
                _DEPARTMENT,
                Column(
                    "windows",
                    "服务窗口",
                    ("windows", "服务窗口", "窗口编码", "窗口"),
                    required=False,
                    refers="windows",
                    many=True,
                ),
            ),
            telltale="windows",
        ),
        KindSpec(
            "matters",
            "事项",
            "matter",
            ("matters", "matter", "事项"),
            (
                _code(Matter, "事项编码", "事项代码"),
                _name(Matter, "事项名称"),
                Column("type", "事项类型", ("type", "事项类型", "类型")),
            ),
            telltale="type",
        ),
    )
}


def _norm(header: str) -> str:
    return re.sub(r"[\s*＊\ufeff]", "", header).casefold()


def _aliases(spec: KindSpec) -> dict[str, str]:
    return {_norm(h): c.field for c in spec.columns for h in c.headers}


def kind_named(name: str) -> str | None:
    """The kind a file or sheet name means (regions.csv, 行政区划.csv, 窗口), when only one."""
    text = _norm(name)
    found = {s.kind for s in SPECS.values() if any(_norm(n) in text for n in s.names)}
    return found.pop() if len(found) == 1 else None


# ---------------------------------------------------------------------------- reading


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
    aliases = _aliases(spec)
    positions: dict[str, int] = {}
    columns: dict[str, str] = {}
    ignored: list[str] = []
    for index, raw in enumerate(header):
        if not raw:
            continue
        name = aliases.get(_norm(raw))
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
        if telltale and any(_norm(h) in {_norm(t) for t in telltale.headers} for h in header):
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
        kind = next((s.kind for s in SPECS.values() if _norm(key) in map(_norm, s.names)), None)
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
    aliases = _aliases(spec)
    ignored: set[str] = set()
    for item, node in zip(items, nodes.value, strict=True):
        number = node.start_mark.line + 1
        if not isinstance(item, dict):
            table.rows.append(Row(number, {"_": item}, {}))
            continue
        cells: dict[str, Any] = {}
        columns: dict[str, str] = {}
        for key, value in item.items():
            name = aliases.get(_norm(str(key)))
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


@dataclass(frozen=True)
class Issue:
    file: str
    sheet: str | None
    row: int | None
    column: str | None
    message: str


@dataclass
class ImportReport:
    checked_only: bool
    files: int
    rows: int = 0
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    rejected: int = 0
    issues: list[Issue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


Values = dict[str, Any]


@dataclass
class _Candidate:
    table: Table
    row: Row
    values: Values


@dataclass
class _State:
    """What is known while importing: the database as it was, and this run's verdicts."""

    db: dict[str, dict[str, Values]]
    accepted: dict[str, dict[str, Values]] = field(default_factory=lambda: {k: {} for k in KINDS})
    rejected: dict[str, set[str]] = field(default_factory=lambda: {k: set() for k in KINDS})

    def problem(self, column: Column, code: str) -> str | None:
        kind = column.refers
        assert kind is not None
        if code in self.accepted[kind]:
            return None
        if code in self.rejected[kind]:
            return f"{column.label}“{code}”所在的行有错误、未导入，本行因此也不能导入"
        if code in self.db[kind]:
            return None
        return f"{column.label}“{code}”不存在（数据库和本次导入中都没有）"


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
    state = _State(db=await _database(connection()))
    checked = 0
    for kind in KINDS:
        candidates: list[_Candidate] = []
        for table in (t for t in tables if t.kind == kind):
            if table.problem is not None:
                report.issues.append(Issue(table.file, table.sheet, None, None, table.problem))
                report.rejected += len(table.rows)
                continue
            candidates.extend(_Candidate(table, row, {}) for row in table.rows)
        accepted = _check_kind(SPECS[kind], candidates, state, report)
        checked += len(candidates)
        if progress and candidates:
            progress(f"{kind} checked", checked, total)
        changed = _diff(kind, accepted, state.db[kind], report)
        if not check_only and changed:
            await _write(SPECS[kind], changed, state.db[kind], progress)
    order = {source.path: index for index, source in enumerate(sources)}
    report.issues.sort(key=lambda i: (order.get(i.file, 0), i.sheet or "", i.row or 0))
    return report


def _reject(report: ImportReport, cand: _Candidate, column: str | None, message: str) -> None:
    header = cand.row.columns.get(column) if column else None
    report.issues.append(
        Issue(cand.table.file, cand.table.sheet, cand.row.number, header or column, message)
    )


def _check_kind(
    spec: KindSpec, candidates: list[_Candidate], state: _State, report: ImportReport
) -> dict[str, _Candidate]:
    first: dict[str, _Candidate] = {}
    good: dict[str, _Candidate] = {}
    bad_codes: set[str] = set()
    for cand in candidates:
        errors = _field_errors(spec, cand)
        code = cand.values.get("code")
        if code and code in first and not errors:
            seen = first[code]
            where = "" if seen.table.file == cand.table.file else f"{Path(seen.table.file).name} "
            errors = [
                (
                    "code",
                    f"编码“{code}”重复：与{where}第 {seen.row.number} 行相同，以先出现的一行为准",
                )
            ]
        elif code:
            first.setdefault(code, cand)
        for column, message in errors:
            _reject(report, cand, column, message)
        if errors:
            report.rejected += 1
            if code and first.get(code) is cand:
                bad_codes.add(code)
        elif code:
            # A column the file does not have leaves the stored value as it is.
            for name, value in state.db[spec.kind].get(code, {}).items():
                cand.values.setdefault(name, value)
            for absent in spec.columns:
                cand.values.setdefault(absent.field, None)
            good[code] = cand
    state.rejected[spec.kind] = bad_codes
    state.accepted[spec.kind] = {code: c.values for code, c in good.items()}
    _check_references(spec, good, state, report)
    return good


def _field_errors(spec: KindSpec, cand: _Candidate) -> list[tuple[str | None, str]]:
    cells = cand.row.cells
    if "_" in cells:
        return [(None, "应为键值对，如 {code: …, name: …}")]
    errors: list[tuple[str | None, str]] = []
    for column in spec.columns:
        raw = cells.get(column.field)
        if column.field not in cells and not column.required:
            continue
        if column.many:
            items = raw if isinstance(raw, list) else WINDOW_LIST.split(text(raw))
            cand.values[column.field] = tuple(sorted({text(i) for i in items} - {""}))
            continue
        value = text(raw)
        if not value:
            if column.required:
                errors.append((column.field, f"{column.label}为必填项，不能为空"))
            cand.values[column.field] = None
            continue
        if column.max_length is not None and len(value) > column.max_length:
            errors.append(
                (
                    column.field,
                    f"{column.label}超过 {column.max_length} 个字符（共 {len(value)} 个）",
                )
            )
        cand.values[column.field] = value
    if spec.kind == "regions":
        for name in ("code", "parent"):
            code = cand.values.get(name)
            if code and not REGION_CODE.fullmatch(code):
                label = "区划代码" if name == "code" else "上级区划代码"
                errors.append(
                    (
                        name,
                        f"{label}“{code}”格式不对：应为 GB/T 2260 的 6 位数字"
                        "（乡镇街道 9 位、村社区 12 位）",
                    )
                )
    if spec.kind == "matters" and cand.values.get("type"):
        matter_type = _matter_type(cand.values["type"])
        if matter_type is None:
            errors.append(
                (
                    "type",
                    f"事项类型“{cand.values['type']}”无法识别：应为 "
                    f"{'、'.join(MATTER_TYPES)} 之一（或 {'、'.join(MatterType)}）",
                )
            )
        else:
            cand.values["type"] = matter_type.value
    return errors


def _matter_type(value: str) -> MatterType | None:
    if value in MATTER_TYPES:
        return MATTER_TYPES[value]
    try:
        return MatterType(value.upper())
    except ValueError:
        return None


def _check_references(
    spec: KindSpec, good: dict[str, _Candidate], state: _State, report: ImportReport
) -> None:
    """Reject rows naming a rejected or unknown row, until none is left (regions refer to
    regions, so a rejected parent can reject its children in turn)."""
    refs = [c for c in spec.columns if c.refers]
    while True:
        dropped: dict[str, tuple[str, str]] = {}
        for code, cand in good.items():
            for column in refs:
                targets = cand.values.get(column.field) or ()
                for target in (targets,) if isinstance(targets, str) else targets:
                    problem = state.problem(column, target)
                    if problem is None and column.refers == spec.kind and target == code:
                        problem = f"{column.label}不能是它自己"
                    if problem is not None and code not in dropped:
                        dropped[code] = (column.field, problem)
        if spec.kind == "regions":
            for code, chain in _cycles(good, state.db["regions"]).items():
                dropped.setdefault(code, ("parent", f"上级区划形成循环：{' → '.join(chain)}"))
        if not dropped:
            return
        dropped = dict(sorted(dropped.items(), key=lambda item: good[item[0]].row.number))
        for code, (column_name, message) in dropped.items():
            cand = good.pop(code)
            _reject(report, cand, column_name, message)
            report.rejected += 1
            state.rejected[spec.kind].add(code)
            del state.accepted[spec.kind][code]


def _cycles(good: dict[str, _Candidate], db: dict[str, Values]) -> dict[str, list[str]]:
    """The imported regions whose chain of parents (this import's, else the database's)
    comes back to them, each with that chain."""

    def parent(code: str) -> str | None:
        values = good[code].values if code in good else db.get(code)
        return values.get("parent") if values else None

    found: dict[str, list[str]] = {}
    for code in good:
        chain = [code]
        current = parent(code)
        while current is not None and current not in chain:
            chain.append(current)
            current = parent(current)
        if current == code and len(chain) > 1:
            found[code] = [*chain, code]
    return found


def _diff(
    kind: str, accepted: dict[str, _Candidate], db: dict[str, Values], report: ImportReport
) -> dict[str, Values]:
    """The accepted rows that differ from the database, counting each verdict."""
    changed: dict[str, Values] = {}
    for code, cand in accepted.items():
        current = db.get(code)
        values = {k: v for k, v in cand.values.items() if k != "code"}
        if current is None:
            report.created[kind] += 1
        elif all(current.get(k) == v for k, v in values.items()):
            report.unchanged[kind] += 1
            continue
        else:
            report.updated[kind] += 1
        changed[code] = values
    return changed


# ---------------------------------------------------------------------------- database


_CURRENT = {
    "regions": "SELECT r.code, r.name, p.code AS parent FROM region r "
    "LEFT JOIN region p ON p.id = r.parent_id",
    "departments": "SELECT d.code, d.name, r.code AS region FROM department d "
    "JOIN region r ON r.id = d.region_id",
    "halls": "SELECT h.code, h.name, r.code AS region FROM hall h "
    "LEFT JOIN region r ON r.id = h.region_id",
    "windows": "SELECT w.code, w.name, h.code AS hall, d.code AS department "
    "FROM service_window w LEFT JOIN hall h ON h.id = w.hall_id "
    "JOIN department d ON d.id = w.department_id",
    "staff": "SELECT s.code, s.name, d.code AS department FROM staff s "
    "JOIN department d ON d.id = s.department_id",
    "matters": "SELECT code, name, type FROM matter",
}


async def _database(conn: BaseDBAsyncClient) -> dict[str, dict[str, Values]]:
    """Every kind's rows as they are, by code, with references as codes."""
    current = {}
    for kind, sql in _CURRENT.items():
        rows = await fetch(conn, sql)
        current[kind] = {row["code"]: {k: v for k, v in row.items() if k != "code"} for row in rows}
    links = await fetch(
        conn,
        "SELECT s.code AS staff, w.code AS window FROM staff_window sw "
        "JOIN staff s ON s.id = sw.staff_id JOIN service_window w ON w.id = sw.window_id",
    )
    served: dict[str, set[str]] = {}
    for link in links:
        served.setdefault(link["staff"], set()).add(link["window"])
    for code, values in current["staff"].items():
        values["windows"] = tuple(sorted(served.get(code, ())))
    return current


# What each kind writes: (column, field, PostgreSQL type, referred table or None).
_WRITES: dict[str, tuple[tuple[str, str, str, str | None], ...]] = {
    "regions": (("name", "name", "text", None), ("parent_id", "parent", "int", "region")),
    "departments": (("name", "name", "text", None), ("region_id", "region", "int", "region")),
    "halls": (("name", "name", "text", None), ("region_id", "region", "int", "region")),
    "windows": (
        ("name", "name", "text", None),
        ("hall_id", "hall", "int", "hall"),
        ("department_id", "department", "int", "department"),
    ),
    "staff": (("name", "name", "text", None), ("department_id", "department", "int", "department")),
    "matters": (("name", "name", "text", None), ("type", "type", "text", None)),
}


async def _write(
    spec: KindSpec, changed: dict[str, Values], db: dict[str, Values], progress: Progress | None
) -> None:
    """One transaction per kind; a region's parent may be a region of this same import,
    so new regions are inserted first and their parents set with the rest."""
    codes = sorted(changed)
    columns = _WRITES[spec.kind]
    async with in_transaction() as conn:
        if spec.kind == "regions":
            new = [[code, changed[code]["name"]] for code in codes if code not in db]
            for part in _chunks(new):
                source, args = row_source(conn, ("text", "text"), part)
                await execute(
                    conn,
                    f"INSERT INTO region (code, name) {source} ON CONFLICT (code) DO NOTHING",
                    args,
                )
        ids = {table: await _ids(conn, table) for _, _, _, table in columns if table}
        names = ", ".join(["code", *(c for c, *_ in columns)])
        sets = ", ".join(f"{c} = excluded.{c}" for c, *_ in columns)
        types = ("text", *(t for _, _, t, _ in columns))
        for done, part in _numbered_chunks(codes):
            rows = [
                [code, *(_value(changed[code][f], ids.get(t or "")) for _, f, _, t in columns)]
                for code in part
            ]
            source, args = row_source(conn, types, rows)
            await execute(
                conn,
                f"INSERT INTO {spec.table} ({names}) {source} "
                f"ON CONFLICT (code) DO UPDATE SET {sets}",
                args,
            )
            if progress:
                progress(f"{spec.kind} written", done, len(codes))
        if spec.kind == "staff":
            await _write_staff_windows(conn, changed, db)


def _value(value: Any, ids: dict[str, int] | None) -> Any:
    if ids is None or value is None:
        return value
    return ids[value]


async def _write_staff_windows(
    conn: BaseDBAsyncClient, changed: dict[str, Values], db: dict[str, Values]
) -> None:
    """A listed set of windows replaces the member's set; no windows column leaves it."""
    listed = {
        code: values["windows"]
        for code, values in changed.items()
        if values.get("windows") is not None
        and values["windows"] != (db.get(code) or {}).get("windows", ())
    }
    if not listed:
        return
    staff_ids = await _ids(conn, "staff")
    window_ids = await _ids(conn, "service_window")
    members = [staff_ids[code] for code in sorted(listed)]
    for part in _chunks(members):
        if dialect(conn) == "postgres":
            await execute(conn, "DELETE FROM staff_window WHERE staff_id = ANY(?::int[])", [part])
        else:
            marks = ", ".join("?" * len(part))
            await execute(conn, f"DELETE FROM staff_window WHERE staff_id IN ({marks})", part)  # noqa: S608
    pairs = [[staff_ids[s], window_ids[w]] for s in sorted(listed) for w in listed[s]]
    for part in _chunks(pairs):
        source, args = row_source(conn, ("int", "int"), part)
        await execute(conn, f"INSERT INTO staff_window (staff_id, window_id) {source}", args)


async def _ids(conn: BaseDBAsyncClient, table: str) -> dict[str, int]:
    rows = await fetch(conn, f"SELECT id, code FROM {table}")  # noqa: S608 - table is ours
    return {row["code"]: int(row["id"]) for row in rows}


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _numbered_chunks(items: Sequence[Any]) -> Iterator[tuple[int, Sequence[Any]]]:
    for start in range(0, len(items), CHUNK):
        part = items[start : start + CHUNK]
        yield start + len(part), part
