"""services.stat_export against a real database (SQLite, and PostgreSQL when
HCP_TEST_POSTGRES_URL is set): the October of tests/api/test_statistics.py (rules.yaml's
metrics, worked out by hand there) comes out of the statistics export with the figures the
statistics query gives, by month, by day and by department and window, in CSV and XLSX;
each caller gets the figures of their reach; `hcp export statistics` writes the same file
from the command line and refuses bad arguments in one line."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from services.export_files import Table
from services.exports import ExportRefusal, Period, reach
from services.identity import Principal, Role
from services.stat_export import Layout, layout, statistics_export
from services.statistics import Dimension, Granularity
from tests.api.test_statistics import october, statistics
from tests.api.test_work_item_loop import use
from tests.conftest import Api
from tests.services.test_exports import ENGINE, csv_rows, file_bytes, hcp_export, xlsx_rows

MONTH = Period(date(2026, 10, 1), date(2026, 10, 31))
FIGURES = ("满意率", "参评率", "差评率", "差评整改率")
PARTS = ("（分子）", "（分母）", "")


def admin(region: str) -> Principal:
    return Principal(subject="admin", role=Role.AREA_ADMIN, region_code=region)


def handler(department: str) -> Principal:
    return Principal(subject="handler", role=Role.DEPT_HANDLER, department_code=department)


async def export(
    viewer: Principal | None,
    *,
    region: str | None = None,
    granularity: str | None = None,
    group_by: str | None = None,
    chosen: Period = MONTH,
) -> Table | ExportRefusal:
    """As the endpoint and the command do it: the exports' reach, then the figures."""
    scopes = await reach(viewer, region)
    if isinstance(scopes, ExportRefusal):
        return scopes
    return await statistics_export(
        viewer,
        engine=ENGINE,
        chosen=chosen,
        region=region,
        granularity=granularity,
        group_by=group_by,
    )


async def rows_of(made: Table | ExportRefusal, fmt: str = "csv") -> list[dict[str, str]]:
    assert isinstance(made, Table), made
    data = await file_bytes(made, fmt)
    return csv_rows(data) if fmt == "csv" else xlsx_rows(data)


def figures_of(row: dict[str, str], title: str) -> tuple[str, str, str]:
    return row[f"{title}（分子）"], row[f"{title}（分母）"], row[title]


@pytest.fixture
async def scenario(api: Api) -> Api:
    await october(api, await use(api, "rules"))
    return api


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
async def test_the_month_s_figures_are_the_statistics_query_s(scenario: Api, fmt: str) -> None:
    [row] = await rows_of(await export(None), fmt)
    assert list(row) == [
        "统计期",
        *[f"{t}{p}" for t in FIGURES for p in ("（分子）", "（分母）", "")],
    ]
    assert row["统计期"] == "2026-10"
    assert figures_of(row, "满意率") == ("8", "10", "0.8")
    assert figures_of(row, "参评率") == ("7", "10", "0.7")
    assert figures_of(row, "差评率") == ("2", "10", "0.2")
    assert figures_of(row, "差评整改率") == ("1", "2", "0.5")
    [queried] = (await statistics(scenario))["rows"]
    assert {f["metric"]: (f["numerator"], f["denominator"]) for f in queried["figures"]} == {
        "satisfaction": (8, 10),
        "participation": (7, 10),
        "bad_rate": (2, 10),
        "rectification": (1, 2),
    }


async def test_figures_by_day_department_and_window(scenario: Api) -> None:
    made = await export(None, granularity="day", group_by="department, WINDOW")
    rows = await rows_of(made)
    assert [
        (r["统计期"], r["部门编码"], r["部门名称"], r["窗口编码"], r["窗口名称"]) for r in rows
    ] == [
        ("2026-10-12", "D-SCJG", "区市场监管局", "W-01", "综合受理1号窗口"),
        ("2026-10-31", "D-SCJG", "区市场监管局", "W-01", "综合受理1号窗口"),
    ]
    assert [figures_of(r, "参评率") for r in rows] == [("6", "9", "0.6667"), ("1", "1", "1.0")]
    [by_quarter] = await rows_of(await export(None, granularity="QUARTER", group_by="staff"))
    assert (by_quarter["统计期"], by_quarter["工作人员编码"], by_quarter["工作人员名称"]) == (
        "2026-Q4",
        "S-01",
        "李晓燕",
    )
    by_channel = await rows_of(await export(None, group_by="channel"))
    assert {r["评价渠道编码"]: figures_of(r, "满意率") for r in by_channel} == {
        "APP": ("5", "7", "0.7143"),
        "DEFAULT": ("3", "3", "1.0"),
        "": ("0", "0", ""),  # K6, out of the figures: 0/0 is no value, an empty cell
    }


async def test_each_caller_gets_the_figures_of_their_reach(scenario: Api) -> None:
    async def departments(viewer: Principal | None, region: str | None = None) -> Any:
        made = await export(viewer, region=region, group_by="department")
        if isinstance(made, ExportRefusal):
            return made.code
        return [r["部门编码"] for r in await rows_of(made)]

    assert await departments(None) == ["D-SCJG"]
    assert await departments(admin("330283")) == ["D-SCJG"]
    assert await departments(admin("330200"), "330283") == ["D-SCJG"]
    assert await departments(admin("330302")) == []
    assert await departments(admin("330302"), "330283") == "REGION_OUT_OF_SCOPE"
    assert await departments(admin("330283"), "999999") == "REGION_OUT_OF_SCOPE"
    assert await departments(handler("D-SCJG")) == ["D-SCJG"]
    assert await departments(handler("D-SCJG"), "330302") == []
    assert await departments(handler("D-RSB")) == []
    staff = Principal(subject="s", role=Role.WINDOW_STAFF, staff_code="S-01")
    assert await departments(staff) == "FORBIDDEN"


async def test_what_cannot_be_cut_is_refused_with_a_code(api: Api) -> None:
    assert layout(None, None) == layout("month", "") == Layout(Granularity.MONTH, ())
    assert layout("week", "region, MATTER") == Layout(
        Granularity.WEEK, (Dimension.REGION, Dimension.MATTER)
    )
    for granularity, group_by, code in [
        ("hourly", None, "BAD_GRANULARITY"),
        (None, "staff,staff", "BAD_GROUP_BY"),
        (None, "rater", "BAD_GROUP_BY"),
    ]:
        refusal = layout(granularity, group_by)
        assert isinstance(refusal, ExportRefusal) and refusal.code == code
    two_years = Period(date(2025, 1, 1), date(2026, 10, 31))
    for made, code in [
        (await export(None, granularity="DAY", chosen=two_years), "BAD_PERIOD"),
        (await export(None, chosen=Period(date(2020, 1, 1), date(2026, 10, 31))), "BAD_PERIOD"),
    ]:
        assert isinstance(made, ExportRefusal) and made.code == code


async def test_hcp_export_statistics_writes_the_same_file(scenario: Api, tmp_path: Path) -> None:
    month = ("--from", "2026-10-01", "--to", "2026-10-31")
    to_stdout = hcp_export(scenario, "statistics", *month, "--group-by", "department")
    assert to_stdout.returncode == 0, to_stdout.stderr
    made = await export(None, group_by="department")
    assert isinstance(made, Table)
    assert to_stdout.stdout == await file_bytes(made, "csv")
    [current, *progress] = to_stdout.stderr.decode().splitlines()
    # Every change was counted by october()'s sweep: the figures are the data's.
    assert re.fullmatch(
        r"export: the figures count every change until \S+\+08:00 \(0 s ago\)", current
    )
    assert progress == ["export: 1 rows of figures", "export: 1 rows of figures written to stdout"]
    target = tmp_path / "统计.xlsx"
    to_file = hcp_export(
        scenario,
        "statistics",
        *month,
        "--region",
        "330283",
        "--granularity",
        "DAY",
        "--group-by",
        "window",
        "--format",
        "xlsx",
        "--output",
        str(target),
    )
    assert to_file.returncode == 0, to_file.stderr
    rows = xlsx_rows(target.read_bytes())
    assert [(r["统计期"], r["窗口编码"], r["满意率（分母）"]) for r in rows] == [
        ("2026-10-12", "W-01", "9"),
        ("2026-10-31", "W-01", "1"),
    ]


async def test_hcp_export_statistics_refuses_bad_arguments_in_one_line(api: Api) -> None:
    month = ("--from", "2026-10-01", "--to", "2026-10-31")
    for args, problem in [
        (("statistics", *month, "--granularity", "HOURLY"), "is not DAY, WEEK, MONTH"),
        (("statistics", *month, "--group-by", "staff,staff"), "comma-separated, each once"),
        (("statistics", "--from", "2020-01-01", "--to", "2026-10-31"), "at most five years"),
        (("statistics", *month, "--region", "999999"), "not a region of this database"),
        (("ratings", *month, "--group-by", "department"), "`hcp export statistics`"),
    ]:
        refused = hcp_export(api, *args)
        [line] = refused.stderr.decode().splitlines()
        assert refused.returncode == 2 and line.startswith("hcp export: "), refused.stderr
        assert problem in line and refused.stdout == b""
