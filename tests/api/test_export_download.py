"""The console's download of the exports (GET /console/export/…) through the real app, on
SQLite and PostgreSQL: the table in docs/access.md ("Exports") is the specification and
every cell of it is run; the files parse back and hold no personal data; the period is
Beijing's; the figures are the statistics query's; refusals are JSON codes, never a file."""

from __future__ import annotations

import csv
import io
import zipfile

import httpx
from openpyxl import load_workbook

from services.stats_refresh import refresh_all
from tests.api.test_statistics import STATISTICS
from tests.conftest import ROOT, Api, citizen, token
from tests.factories import CHEN, COMPANY, PEOPLE, WANG, case_input, other_department_case
from tests.factories import other_region_case as far_case
from tests.services.test_exports import done_on, rate

DOC = ROOT / "docs" / "access.md"
OCTOBER = "from=2026-10-01&to=2026-10-31"
ADMIN = token("area_admin", region_code="330283")
HANDLER = token("dept_handler", department_code="D-SCJG")
CALLERS: dict[str, str | None] = {
    "anonymous": None,
    "citizen": citizen(WANG),
    "window_staff": token("window_staff", department_code="D-SCJG", staff_code="S-01"),
    "dept_handler": HANDLER,
    "dept_handler (other dept)": token("dept_handler", department_code="D-RSB"),
    "area_admin": ADMIN,
    "area_admin (other region)": token("area_admin", region_code="330302"),
    "policy_staff": token("policy_staff"),
    "system": token("system"),
}


async def seed(api: Api) -> None:
    """The fixture of docs/access.md, "Exports"."""
    await api.ingest(
        case_input("W-01", **done_on("2026-10-31")),
        other_department_case("C-1") | done_on("2026-09-30"),
        far_case("E-1") | done_on("2026-10-14"),
    )
    await rate(api, CHEN, "C-1", "2026-10-01T00:00:00", 4)
    await rate(api, COMPANY, "E-1", "2026-10-15T09:00:00", 2, tags=["no-sample"])
    await rate(api, WANG, "W-01", "2026-10-31T23:30:00", 1, tags=["poor-attitude"])
    await refresh_all()  # the figures count every change, as the sweep would have them


async def download(api: Api, path: str, bearer: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    return await api.client.get(f"/console/export/{path}", headers=headers)


def rows_of(response: httpx.Response) -> list[dict[str, str]]:
    """The file's rows by header, CSV or XLSX as its content type says."""
    if response.headers["content-type"].startswith("text/csv"):
        assert response.content.startswith(b"\xef\xbb\xbf")
        return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(response.content)).active
    [headers, *rows] = [list(row) for row in sheet.iter_rows(values_only=True)]
    return [{h: "" if v is None else str(v) for h, v in zip(headers, r, strict=True)} for r in rows]


# What names a row: a case; for the figures, the department, or the period when ungrouped.
NAMING = ("办件编号", "部门编码", "统计期")


def outcome(response: httpx.Response) -> str:
    if response.status_code != 200:
        code: str = response.json()["code"]
        return code
    rows = rows_of(response)
    if not rows:
        return "null"
    named = next(key for key in NAMING if key in rows[0])
    return " ".join(sorted({row[named] for row in rows}))


def documented() -> tuple[list[str], dict[str, dict[str, str]]]:
    """(column headings, {download: {column: outcome}}) from docs/access.md, "Exports"."""
    section = DOC.read_text(encoding="utf-8").split("## Exports", 1)[1].split("\n## ", 1)[0]
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("|")
    ]
    columns = rows[0][1:]
    return columns, {r[0].strip("`"): dict(zip(columns, r[1:], strict=True)) for r in rows[2:]}


async def test_the_downloads_do_what_docs_access_md_says(api: Api) -> None:
    await seed(api)
    columns, expected = documented()
    assert columns == list(CALLERS)
    actual = {}
    for path in expected:
        joined = f"{path}&{OCTOBER}" if "?" in path else f"{path}?{OCTOBER}"
        actual[path] = {c: outcome(await download(api, joined, CALLERS[c])) for c in columns}
    mismatches = [
        f"{path} / {c}: documented {expected[path][c]}, actual {actual[path][c]}"
        for path in expected
        for c in columns
        if expected[path][c] != actual[path][c]
    ]
    assert mismatches == []


async def test_a_download_is_a_streamed_attachment_named_by_kind_and_period(api: Api) -> None:
    await seed(api)
    response = await download(api, f"ratings.csv?{OCTOBER}", ADMIN)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = 'attachment; filename="ratings-2026-10-01-2026-10-31.csv"'
    assert response.headers["content-disposition"] == disposition
    assert response.headers["cache-control"] == "private, no-store"
    assert "content-length" not in response.headers  # streamed as the rows are read
    [w01] = [row for row in rows_of(response) if row["办件编号"] == "W-01"]
    assert (w01["评价等级"], w01["等级名称"], w01["评价时间"]) == (
        "1",
        "非常不满意",
        "2026-10-31T23:30:00+08:00",
    )
    book = await download(api, f"work-items.xlsx?{OCTOBER}", HANDLER)
    assert book.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert book.headers["content-disposition"].endswith('"work-items-2026-10-01-2026-10-31.xlsx"')
    [item] = rows_of(book)
    assert (item["办件编号"], item["状态"], item["当前环节"]) == ("W-01", "OPEN", "callback")


async def test_the_period_is_beijing_s_on_both_edges(api: Api) -> None:
    await seed(api)
    for period, cases in [
        ("from=2026-10-31&to=2026-10-31", "W-01"),  # 23:30 +08:00, 15:30 UTC
        ("from=2026-11-01&to=2026-11-30", "null"),
        ("from=2026-10-01&to=2026-10-01", "C-1"),  # 00:00 +08:00, 16:00 UTC the day before
        ("from=2026-09-01&to=2026-09-30", "null"),
    ]:
        assert outcome(await download(api, f"ratings.csv?{period}", ADMIN)) == cases, period


async def test_the_files_hold_no_personal_data(api: Api) -> None:
    await seed(api)
    personal = [str(p[k]) for p in PEOPLE for k in ("name", "idNumber", "phone")]
    for path in (
        "ratings.csv",
        "work-items.csv",
        "ratings.xlsx",
        "work-items.xlsx",
        "statistics.csv?groupBy=staff,channel&granularity=DAY",
        "statistics.xlsx?groupBy=window,staff",
    ):
        joined = f"{path}&{OCTOBER}" if "?" in path else f"{path}?{OCTOBER}"
        response = await download(api, joined, ADMIN)
        assert response.status_code == 200
        texts = [response.content.decode("utf-8", errors="replace")]
        if path.endswith(".xlsx"):
            with zipfile.ZipFile(io.BytesIO(response.content)) as book:
                texts = [book.read(name).decode("utf-8") for name in book.namelist()]
        assert not [value for value in personal for text in texts if value in text], path
        assert not any("citizen:" in text for text in texts), path


async def test_bad_requests_are_refused_with_a_code_and_no_file(api: Api) -> None:
    for path, bearer, status, code in [
        (f"ratings.csv?{OCTOBER}", "not-a-token", 401, "UNAUTHENTICATED"),
        (f"cases.csv?{OCTOBER}", ADMIN, 404, "NOT_FOUND"),
        (f"ratings.pdf?{OCTOBER}", ADMIN, 404, "NOT_FOUND"),
        ("ratings.csv?to=2026-10-31", ADMIN, 400, "BAD_DATE"),
        ("ratings.csv?from=2026-10-01&to=2026-10-32", ADMIN, 400, "BAD_DATE"),
        ("ratings.csv?from=2026-11-01&to=2026-10-31", ADMIN, 400, "PERIOD_REVERSED"),
        (f"ratings.csv?{OCTOBER}&region=330283%00", ADMIN, 400, "BAD_REGION"),
        (f"ratings.csv?{OCTOBER}&region=999999", ADMIN, 403, "REGION_OUT_OF_SCOPE"),
        # The role is refused before anything it sent is looked at.
        ("ratings.csv?from=bad", token("window_staff", department_code="D-SCJG"), 403, "FORBIDDEN"),
        (f"statistics.csv?{OCTOBER}&granularity=HOURLY", ADMIN, 400, "BAD_GRANULARITY"),
        (f"statistics.csv?{OCTOBER}&groupBy=staff,staff", HANDLER, 400, "BAD_GROUP_BY"),
        (f"statistics.csv?{OCTOBER}&groupBy=rater", ADMIN, 400, "BAD_GROUP_BY"),
        ("statistics.csv?from=2025-01-01&to=2026-10-31&granularity=DAY", ADMIN, 400, "BAD_PERIOD"),
        ("statistics.csv?from=2020-01-01&to=2026-10-31", ADMIN, 400, "BAD_PERIOD"),
        ("statistics.csv?from=2026-11-01&to=2026-10-31", ADMIN, 400, "PERIOD_REVERSED"),
        (f"statistics.csv?{OCTOBER}&region=330200", ADMIN, 403, "REGION_OUT_OF_SCOPE"),
        ("statistics.csv?granularity=x", CALLERS["window_staff"], 403, "FORBIDDEN"),
    ]:
        response = await download(api, path, bearer)
        assert (response.status_code, response.json()["code"]) == (status, code), path
        assert response.headers["content-type"] == "application/json"


async def test_a_statistics_download_holds_the_query_s_figures(api: Api) -> None:
    await seed(api)
    response = await download(api, f"statistics.xlsx?{OCTOBER}&groupBy=department", ADMIN)
    assert response.headers["content-disposition"].endswith(
        '"statistics-2026-10-01-2026-10-31.xlsx"'
    )
    [row] = rows_of(response)
    period = {"from": "2026-10-01", "to": "2026-10-31"}
    body = await api.gql(STATISTICS, {"p": period, "by": ["DEPARTMENT"]}, ADMIN)
    [queried] = body["data"]["statistics"]["rows"]
    titles = {m["code"]: m["title"] for m in body["data"]["statistics"]["metrics"]}
    named = (row["统计期"], row["部门编码"], row["部门名称"])
    assert named == ("2026-10", "D-SCJG", "区市场监管局")
    for figure in queried["figures"]:
        title = titles[figure["metric"]]
        cell = row[title]  # a number in the workbook: 0.0 reads back as 0
        value = None if cell == "" else float(cell)
        expected = None if figure["value"] is None else round(figure["value"], 4)
        assert (row[f"{title}（分子）"], row[f"{title}（分母）"], value) == (
            str(figure["numerator"]),
            str(figure["denominator"]),
            expected,
        )
    assert (row["差评率（分子）"], row["差评率（分母）"]) == ("1", "1")  # W-01's 非常不满意
