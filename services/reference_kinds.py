"""The kinds of reference data an import reads (regions, departments, halls, windows, staff,
matters): each kind's columns, the headers they are known by in the files local offices
keep, and what a column refers to."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from tortoise.models import Model

from models.enums import MatterType
from models.reference import Department, Hall, Matter, Region, Staff, Window

KINDS = ("regions", "departments", "halls", "windows", "staff", "matters")
"""In dependency order: a kind refers only to kinds before it (regions to themselves)."""

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


def norm(header: str) -> str:
    return re.sub(r"[\s*＊\ufeff]", "", header).casefold()


def aliases(spec: KindSpec) -> dict[str, str]:
    return {norm(h): c.field for c in spec.columns for h in c.headers}


def kind_named(name: str) -> str | None:
    """The kind a file or sheet name means (regions.csv, 行政区划.csv, 窗口), when only one."""
    text = norm(name)
    found = {s.kind for s in SPECS.values() if any(norm(n) in text for n in s.names)}
    return found.pop() if len(found) == 1 else None
