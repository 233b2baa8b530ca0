"""Checking imported reference rows: each row's fields, duplicates within the import, what
it refers to (in this import or the database), region cycles; then what differs from the
database. A bad row is reported with file, row, column and a plain Chinese message."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.enums import MatterType
from services.reference_files import Row, Table, text
from services.reference_kinds import (
    KINDS,
    MATTER_TYPES,
    REGION_CODE,
    WINDOW_LIST,
    Column,
    KindSpec,
)


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
class Candidate:
    table: Table
    row: Row
    values: Values


@dataclass
class State:
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


def _reject(report: ImportReport, cand: Candidate, column: str | None, message: str) -> None:
    header = cand.row.columns.get(column) if column else None
    report.issues.append(
        Issue(cand.table.file, cand.table.sheet, cand.row.number, header or column, message)
    )


def check_kind(
    spec: KindSpec, candidates: list[Candidate], state: State, report: ImportReport
) -> dict[str, Candidate]:
    first: dict[str, Candidate] = {}
    good: dict[str, Candidate] = {}
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


def _field_errors(spec: KindSpec, cand: Candidate) -> list[tuple[str | None, str]]:
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
    spec: KindSpec, good: dict[str, Candidate], state: State, report: ImportReport
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


def _cycles(good: dict[str, Candidate], db: dict[str, Values]) -> dict[str, list[str]]:
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


def diff(
    kind: str, accepted: dict[str, Candidate], db: dict[str, Values], report: ImportReport
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
