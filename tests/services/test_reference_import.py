"""Importing reference data: every bad row named by file, row and column, only good rows
written, upserts by code that a second run leaves alone; on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from models.db import connection, fetch
from services.reference_import import (
    ImportReport,
    UnreadableFileError,
    import_reference,
    read_file,
)
from tests.conftest import Api


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


async def run(*paths: Path, check: bool = False, kind: str | None = None) -> ImportReport:
    return await import_reference([read_file(p, kind=kind) for p in paths], check_only=check)


async def codes(table: str) -> set[str]:
    rows = await fetch(connection(), f"SELECT code FROM {table}")
    return {row["code"] for row in rows}


async def windows_of(staff: str) -> set[str]:
    rows = await fetch(
        connection(),
        "SELECT w.code FROM staff_window sw JOIN staff s ON s.id = sw.staff_id "
        "JOIN service_window w ON w.id = sw.window_id WHERE s.code = ?",
        [staff],
    )
    return {row["code"] for row in rows}


def problems(report: ImportReport) -> list[tuple[str, int | None, str | None, str]]:
    return [(Path(i.file).name, i.row, i.column, i.message) for i in report.issues]


HALLS = "编码,名称,所属区划\nH-1,一号大厅,330283\nH-2,{long},330283\nH-3,三号大厅,999999\n"
DEPARTMENTS = "code,name,region\nD-1,一局,330283\nD-2,二局,330283\n"


async def test_bad_rows_are_reported_one_by_one_and_only_good_rows_are_written(
    api: Api, tmp_path: Path
) -> None:
    regions = write(
        tmp_path / "regions.csv",
        "区划代码,名称,上级区划代码\n"
        "330283001,锦屏街道,330283\n"
        "33028,短码,330283\n"
        ",无编码,330283\n"
        "330283001,重复,330283\n"
        "330283002,,330283\n"
        "330283003,上级不存在,330999\n"
        "\n"
        "330283004,西坞街道,330283\n",
    )
    matters = write(
        tmp_path / "matters.csv",
        "事项编码,事项名称,事项类型\n"
        "M-1,营业执照设立登记,行政许可\n"
        "M-2,社会保障卡申领,PUBLIC_SERVICE\n"
        "M-3,某事项,审批\n"
        f"M-4,{'长' * 257},行政给付\n",
    )
    report = await run(regions, matters)
    assert problems(report) == [
        (
            "regions.csv",
            3,
            "区划代码",
            "区划代码“33028”格式不对：应为 GB/T 2260 的 6 位数字（乡镇街道 9 位、村社区 12 位）",
        ),
        ("regions.csv", 4, "区划代码", "编码为必填项，不能为空"),
        ("regions.csv", 5, "区划代码", "编码“330283001”重复：与第 2 行相同，以先出现的一行为准"),
        ("regions.csv", 6, "名称", "名称为必填项，不能为空"),
        ("regions.csv", 7, "上级区划代码", "上级区划“330999”不存在（数据库和本次导入中都没有）"),
        ("matters.csv", 4, "事项类型", problems(report)[5][3]),
        ("matters.csv", 5, "事项名称", "名称超过 256 个字符（共 257 个）"),
    ]
    assert "审批" in report.issues[5].message and "行政许可" in report.issues[5].message
    assert report.rejected == 7
    assert report.rows == 11
    assert report.created["regions"] == 2
    assert report.created["matters"] == 2
    assert await codes("region") >= {"330283001", "330283004"}
    assert not await codes("region") & {"33028", "330283002", "330283003"}
    rows = await fetch(connection(), "SELECT code, name, type FROM matter ORDER BY code")
    assert rows == [
        {"code": "M-1", "name": "营业执照设立登记", "type": "LICENSING"},
        {"code": "M-2", "name": "社会保障卡申领", "type": "PUBLIC_SERVICE"},
    ]


async def test_a_row_naming_a_rejected_or_unknown_row_is_rejected_too(
    api: Api, tmp_path: Path
) -> None:
    # Given in reverse order: the kinds are taken in dependency order across files.
    windows = write(
        tmp_path / "windows.csv",
        "编码,名称,所属大厅,所属部门\n"
        "W-1,一号窗口,H-1,D-1\n"
        "W-2,二号窗口,H-2,D-1\n"
        "W-3,三号窗口,H-9,D-1\n"
        "W-4,四号窗口,H-1,D-9\n"
        "W-5,网办窗口,,D-2\n",
    )
    halls = write(tmp_path / "halls.csv", HALLS.format(long="大" * 129))
    departments = write(tmp_path / "departments.csv", DEPARTMENTS)
    report = await run(windows, halls, departments)
    assert problems(report) == [
        ("windows.csv", 3, "所属大厅", "所属大厅“H-2”所在的行有错误、未导入，本行因此也不能导入"),
        ("windows.csv", 4, "所属大厅", "所属大厅“H-9”不存在（数据库和本次导入中都没有）"),
        ("windows.csv", 5, "所属部门", "所属部门“D-9”不存在（数据库和本次导入中都没有）"),
        ("halls.csv", 3, "名称", "名称超过 128 个字符（共 129 个）"),
        ("halls.csv", 4, "所属区划", "所属区划“999999”不存在（数据库和本次导入中都没有）"),
    ]
    assert await codes("hall") == {"H-1"}
    assert await codes("service_window") == {"W-1", "W-5"}
    rows = await fetch(
        connection(),
        "SELECT w.code, h.code AS hall, d.code AS department FROM service_window w "
        "LEFT JOIN hall h ON h.id = w.hall_id JOIN department d ON d.id = w.department_id "
        "ORDER BY w.code",
    )
    assert rows == [
        {"code": "W-1", "hall": "H-1", "department": "D-1"},
        {"code": "W-5", "hall": None, "department": "D-2"},
    ]


async def test_a_second_identical_run_changes_nothing_and_an_edit_updates(
    api: Api, tmp_path: Path
) -> None:
    departments = write(tmp_path / "departments.csv", DEPARTMENTS)
    first = await run(departments)
    assert (first.created["departments"], first.updated["departments"]) == (2, 0)
    again = await run(departments)
    assert again.created == again.updated == dict.fromkeys(again.created, 0)
    assert again.unchanged["departments"] == 2
    write(departments, "code,name,region\nD-1,一局（更名）,330283\nD-2,二局,330283100\n")
    edited = await run(departments)
    assert (edited.updated["departments"], edited.unchanged["departments"]) == (2, 0)
    rows = await fetch(
        connection(),
        "SELECT d.code, d.name, r.code AS region FROM department d "
        "JOIN region r ON r.id = d.region_id ORDER BY d.code",
    )
    assert rows == [
        {"code": "D-1", "name": "一局（更名）", "region": "330283"},
        {"code": "D-2", "name": "二局", "region": "330283100"},
    ]


async def test_check_only_validates_against_the_database_and_writes_nothing(
    api: Api, tmp_path: Path
) -> None:
    halls = write(tmp_path / "halls.csv", HALLS.format(long="二号大厅"))
    report = await run(halls, check=True)
    assert report.checked_only
    assert report.created["halls"] == 2
    assert problems(report) == [
        ("halls.csv", 4, "所属区划", "所属区划“999999”不存在（数据库和本次导入中都没有）"),
    ]
    assert await codes("hall") == set()


async def test_an_xlsx_workbook_holds_one_sheet_per_kind(api: Api, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    regions = book.active
    assert regions is not None
    regions.title = "行政区划"
    regions.append(["区划代码", "名称", "上级区划代码"])
    regions.append([330283001, "锦屏街道", 330283])  # numbers, as Excel keeps them
    departments = book.create_sheet("部门")
    departments.append(["部门编码", "部门名称", "所属区划"])
    departments.append(["D-JP", "锦屏街道办事处", 330283001])
    notes = book.create_sheet("说明")
    notes.append(["本工作簿由区行政服务中心维护"])
    book.save(tmp_path / "reference.xlsx")
    report = await run(tmp_path / "reference.xlsx")
    assert report.issues == []
    assert (report.created["regions"], report.created["departments"]) == (1, 1)
    assert any("说明" in note for note in report.notes)
    rows = await fetch(
        connection(),
        "SELECT d.code, r.code AS region, p.code AS parent FROM department d "
        "JOIN region r ON r.id = d.region_id JOIN region p ON p.id = r.parent_id",
    )
    assert rows == [{"code": "D-JP", "region": "330283001", "parent": "330283"}]


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8-sig", "utf-8"])
async def test_csv_encodings_offices_save_are_detected(
    api: Api, tmp_path: Path, encoding: str
) -> None:
    path = write(tmp_path / "部门.csv", "编码,名称,所属区划\nD-GA,区公安分局,330283\n", encoding)
    report = await run(path)
    assert report.issues == []
    [row] = await fetch(connection(), "SELECT name FROM department WHERE code = 'D-GA'")
    assert row["name"] == "区公安分局"


async def test_an_import_replaces_the_windows_a_staff_member_serves(
    api: Api, tmp_path: Path
) -> None:
    setup = write(
        tmp_path / "reference.yaml",
        """
departments:
  - {code: D-1, name: 一局, region: "330283"}
windows:
  - {code: W-1, name: 一号窗口, department: D-1}
  - {code: W-2, name: 二号窗口, department: D-1}
  - {code: W-3, name: 三号窗口, department: D-1}
""",
    )
    assert (await run(setup)).issues == []
    staff = write(tmp_path / "staff.csv", "工号,姓名,所属部门,服务窗口\nS-1,测试员,D-1,W-1；W-2\n")
    assert (await run(staff)).created["staff"] == 1
    assert await windows_of("S-1") == {"W-1", "W-2"}
    write(staff, '工号,姓名,所属部门,服务窗口\nS-1,测试员,D-1,"W-2、W-3"\n')
    replaced = await run(staff)
    assert replaced.updated["staff"] == 1
    assert await windows_of("S-1") == {"W-2", "W-3"}
    # A file without the column leaves the member's windows as they are.
    write(staff, "工号,姓名,所属部门\nS-1,测试员,D-1\n")
    assert (await run(staff)).unchanged["staff"] == 1
    assert await windows_of("S-1") == {"W-2", "W-3"}
    write(staff, "工号,姓名,所属部门,服务窗口\nS-1,测试员,D-1,W-3 W-9\n")
    refused = await run(staff)
    assert problems(refused) == [
        ("staff.csv", 2, "服务窗口", "服务窗口“W-9”不存在（数据库和本次导入中都没有）")
    ]
    assert await windows_of("S-1") == {"W-2", "W-3"}


async def test_a_parent_that_would_make_a_cycle_is_refused(api: Api, tmp_path: Path) -> None:
    # The database has 330200 above 330283; this file would put 330283 above 330200.
    regions = write(
        tmp_path / "regions.csv",
        "code,name,parent\n"
        "330200,宁波市,330283\n"
        "330401,甲,330402\n"
        "330402,乙,330401\n"
        "330403,丙,330403\n"
        "330404,丁,330401\n"
        "330405,戊,\n",
    )
    report = await run(regions)
    assert problems(report) == [
        ("regions.csv", 2, "parent", "上级区划形成循环：330200 → 330283 → 330200"),
        ("regions.csv", 3, "parent", "上级区划形成循环：330401 → 330402 → 330401"),
        ("regions.csv", 4, "parent", "上级区划形成循环：330402 → 330401 → 330402"),
        ("regions.csv", 5, "parent", "上级区划不能是它自己"),
        ("regions.csv", 6, "parent", "上级区划“330401”所在的行有错误、未导入，本行因此也不能导入"),
    ]
    [city] = await fetch(connection(), "SELECT parent_id FROM region WHERE code = '330200'")
    assert city["parent_id"] is None
    assert await codes("region") & {"330401", "330402", "330403", "330404", "330405"} == {"330405"}


async def test_a_file_without_a_required_column_is_rejected_whole(api: Api, tmp_path: Path) -> None:
    halls = write(tmp_path / "halls.csv", "编码,大厅,所属区划\nH-1,一号大厅,330283\n")
    report = await run(halls)
    [issue] = report.issues
    assert (issue.row, issue.column) == (None, None)
    assert issue.message.startswith("缺少必填列“名称”：可用的表头有 name、名称")
    assert report.rejected == 1
    assert await codes("hall") == set()


async def test_the_import_may_move_a_window_to_another_department(api: Api, tmp_path: Path) -> None:
    data = write(
        tmp_path / "reference.yml",
        """
departments: [{code: D-1, name: 一局, region: "330283"}, {code: D-2, name: 二局, region: "330283"}]
windows: [{code: W-1, name: 一号窗口, department: D-1}]
""",
    )
    await run(data)
    write(tmp_path / "windows.csv", "编码,名称,所属部门\nW-1,一号窗口,D-2\n")
    moved = await run(tmp_path / "windows.csv")
    assert moved.updated["windows"] == 1
    [row] = await fetch(
        connection(),
        "SELECT d.code FROM service_window w JOIN department d ON d.id = w.department_id",
    )
    assert row["code"] == "D-2"


def test_kinds_come_from_the_name_the_headers_or_kind(tmp_path: Path) -> None:
    by_headers = write(tmp_path / "data.csv", "编码,名称,事项类型\nM-1,某事项,公共服务\n")
    assert [t.kind for t in read_file(by_headers).tables] == ["matters"]
    ambiguous = write(tmp_path / "list.csv", "编码,名称,所属区划\nX-1,某,330283\n")
    with pytest.raises(UnreadableFileError, match="--kind"):
        read_file(ambiguous)
    assert [t.kind for t in read_file(ambiguous, kind="halls").tables] == ["halls"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("regions.xls", b"\xd0\xcf\x11\xe0", "不支持的文件类型“.xls”"),
        ("regions.txt", b"code,name\n", "不支持的文件类型“.txt”"),
        ("regions.xlsx", b"not a workbook", "不是有效的 XLSX 工作簿"),
        ("regions.csv", b"\xff\x00\xfe\x81\x30\x81", "无法识别文件编码"),
        ("regions.yaml", b"regions: [unclosed\n", "YAML 格式错误"),
        ("regions.csv", b"", "没有表头行"),
    ],
)
def test_an_unreadable_file_is_refused_in_plain_words(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableFileError, match=message):
        read_file(path)


def test_a_missing_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="无法读取文件"):
        read_file(tmp_path / "regions.csv")


async def test_ten_thousand_rows_import_in_one_pass(api: Api, tmp_path: Path) -> None:
    lines = ["编码,名称,所属部门"] + [f"W-{n:05d},窗口{n},D-1" for n in range(10_000)]
    windows = write(tmp_path / "windows.csv", "\n".join(lines) + "\n")
    departments = write(tmp_path / "departments.csv", DEPARTMENTS)
    seen: list[tuple[str, int, int]] = []
    report = await import_reference(
        [read_file(windows), read_file(departments)],
        check_only=False,
        progress=lambda what, done, total: seen.append((what, done, total)),
    )
    assert report.created["windows"] == 10_000
    assert ("windows written", 1000, 10_000) in seen
    assert ("windows written", 10_000, 10_000) in seen
    [count] = await fetch(connection(), "SELECT COUNT(*) AS n FROM service_window")
    assert count["n"] == 10_000
