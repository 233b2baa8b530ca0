"""services.exports and services.export_files against a real database (SQLite, and
PostgreSQL when HCP_TEST_POSTGRES_URL is set): October 2026's ratings and work items,
seeded through the API as citizens, staff and the sweep make them, come out as stored, in
CSV and XLSX alike; the period is Beijing's; whose rows is the caller's reach; no personal
data is ever in the file; `hcp export` writes the same file from the command line."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import zipfile
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from models.db import as_utc, connection, fetch
from models.stores.scope import Reach, Scope
from rules import BUSINESS_TZ, Engine
from services.export_files import Table, written
from services.exports import (
    RATING_COLUMNS,
    WORK_ITEM_COLUMNS,
    ExportRefusal,
    Period,
    export_table,
    period,
    reach,
)
from services.identity import Principal, Role
from services.sweep_deadlines import sweep
from services.vault import Vault
from tests.api.test_held_ratings import REVIEW, held
from tests.api.test_ratings import SUBMIT
from tests.api.test_work_item_loop import (
    ADMIN,
    DECIDE,
    HANDLER,
    act,
    appeal,
    callback,
    done,
    the_item,
)
from tests.conftest import DATA_KEY, ROOT, Api, citizen
from tests.factories import CHEN, COMPANY, PEOPLE, WANG, case_input, other_department_case
from tests.factories import other_region_case as far_case

OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))
ENGINE = Engine.from_path(ROOT / "rules.yaml")
OPERATOR = [Scope(Reach.ALL)]
BAD_COMMENT = "窗口让我来回跑了三趟，材料要求前后不一致"


def beijing(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}+08:00")


def done_on(day: str, **more: Any) -> dict[str, str]:
    """A case accepted and completed on `day` (Beijing)."""
    return {"acceptedAt": f"{day}T09:00:00+08:00", "completedAt": f"{day}T10:00:00+08:00", **more}


async def rate(
    api: Api, who: dict[str, Any], case_no: str, at: str, level: int, **more: Any
) -> None:
    api.clock.now = beijing(at)
    data = {"caseNo": case_no, "level": level, "channel": "APP", **more}
    body = await api.gql(SUBMIT, {"input": data}, citizen(who))
    assert body["data"]["submitRating"]["__typename"] == "RatingAccepted", body


async def seed_october(api: Api) -> None:
    """Ratings on both sides of October's edges (Beijing time), in three regions, a rating
    replaced, a default rating by the sweep, a comment held, one rejected, one that reads
    like a formula, and a bad rating whose appeal was upheld."""
    await api.ingest(
        case_input("SEP-1", **done_on("2026-09-30")),
        case_input("DEF-1", **done_on("2026-10-05")),
        other_department_case("OCT-2") | done_on("2026-09-30"),
        far_case("E-1") | done_on("2026-10-14"),
        case_input("HELD-1", **done_on("2026-10-20")),
        case_input("REJ-1", **done_on("2026-10-20")),
        case_input("FORM-1", **done_on("2026-10-20")),
        case_input("OCT-1", **done_on("2026-10-31")),
        case_input("NOV-1", **done_on("2026-10-31")),
    )
    await rate(api, WANG, "SEP-1", "2026-09-30T23:59:59", 5)
    await rate(api, CHEN, "OCT-2", "2026-10-01T00:00:00", 5)  # the first moment of October
    await sweep(engine=ENGINE, now=beijing("2026-10-13T12:00:00"))  # DEF-1: 7 days unrated
    await rate(api, CHEN, "OCT-2", "2026-10-02T09:00:00", 3)  # the latest wins
    await rate(api, COMPANY, "E-1", "2026-10-15T09:00:00", 2, tags=["no-sample"])
    await rate(api, WANG, "HELD-1", "2026-10-21T09:00:00", 4, comment="工作人员是骗子吗")
    await rate(api, WANG, "REJ-1", "2026-10-21T09:05:00", 4, comment="代办包过加微信")
    await rate(api, WANG, "FORM-1", "2026-10-21T09:10:00", 4, comment="=1+2")
    rejected = {entry["caseNo"]: entry for entry in await held(api)}["REJ-1"]
    body = await api.gql(REVIEW, {"id": rejected["id"], "a": False}, ADMIN)
    assert body["data"]["reviewHeldRating"]["__typename"] == "HeldRatingReviewed"
    await rate(
        api, WANG, "OCT-1", "2026-10-31T23:30:00", 1, tags=["poor-attitude"], comment=BAD_COMMENT
    )
    await rate(api, WANG, "NOV-1", "2026-11-01T00:00:00", 5)  # the first moment of November
    api.clock.advance(hours=1)
    item = await appeal(api, await callback(api, await the_item(api, HANDLER)), ENGINE)
    done(await act(api, DECIDE, ADMIN, id=item["id"], d="UPHELD", f="MALICIOUS", n="核实"))


async def export(
    kind: str, scopes: Sequence[Scope] = OPERATOR, chosen: Period = OCTOBER, chunk: int = 5_000
) -> Table:
    return export_table(kind, scopes=scopes, chosen=chosen, engine=ENGINE, chunk=chunk)


async def file_bytes(table: Table, fmt: str, counts: list[int] | None = None) -> bytes:
    progress = counts.append if counts is not None else None
    return b"".join([block async for block in written(table, fmt, progress)])


def csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def xlsx_rows(data: bytes) -> list[dict[str, str]]:
    sheet = load_workbook(io.BytesIO(data)).active
    assert "f" not in {cell.data_type for row in sheet.iter_rows() for cell in row}  # no formula
    [headers, *rows] = [list(row) for row in sheet.iter_rows(values_only=True)]
    return [
        {h: "" if v is None else str(v) for h, v in zip(headers, row, strict=True)} for row in rows
    ]


def by_key(rows: list[dict[str, str]], columns: Sequence[Any]) -> list[dict[str, str]]:
    """Rows keyed by the columns' stable keys instead of their Chinese headers."""
    return [{c.key: row[c.header] for c in columns} for row in rows]


async def stored_ratings(start: datetime, end: datetime) -> list[tuple[Any, ...]]:
    rows = await fetch(
        connection(),
        "SELECT c.case_no, r.level, r.channel, r.effective, r.rated_at FROM rating r "
        "JOIN case_record c ON c.id = r.case_id ORDER BY r.id",
    )
    found = []
    for row in rows:
        at = as_utc(row["rated_at"])
        assert at is not None
        if start <= at < end:
            effective = "是" if row["effective"] else "否"
            local = at.astimezone(BUSINESS_TZ).isoformat(timespec="seconds")
            found.append((row["case_no"], str(row["level"]), row["channel"], effective, local))
    return found


def shown(rows: list[dict[str, str]]) -> list[tuple[str, ...]]:
    keys = ("case_no", "level", "channel", "effective", "rated_at")
    return [tuple(row[k] for k in keys) for row in rows]


async def test_october_s_ratings_are_exported_as_stored_in_csv_and_xlsx(api: Api) -> None:
    await seed_october(api)
    data = await file_bytes(await export("ratings"), "csv")
    rows = by_key(csv_rows(data), RATING_COLUMNS)
    assert shown(rows) == await stored_ratings(OCTOBER.start, OCTOBER.end)
    in_order = ["OCT-2", "DEF-1", "OCT-2", "E-1", "HELD-1", "REJ-1", "FORM-1", "OCT-1"]
    assert [r["case_no"] for r in rows] == in_order
    octo = rows[-1]
    assert octo == {
        "case_no": "OCT-1",
        "matter_code": "M-SCJG-001",
        "matter_name": "营业执照设立登记",
        "department_code": "D-SCJG",
        "department_name": "区市场监管局",
        "region_code": "330283",
        "window_code": "W-01",
        "window_name": "综合受理1号窗口",
        "hall_name": "",
        "staff_code": "S-01",
        "staff_name": "李晓燕",
        "channel": "APP",
        "level": "1",
        "level_label": "非常不满意",
        "category": "bad",
        "tags": "服务态度差、效率低",
        "comment": BAD_COMMENT,
        "rated_at": "2026-10-31T23:30:00+08:00",  # in October, though 15:30 UTC
        "effective": "是",
        "default": "否",
        "appeal_upheld": "not_counted",
    }
    by_case = {(r["case_no"], r["level"]): r for r in rows}
    assert by_case["OCT-2", "5"]["effective"] == "否" and by_case["OCT-2", "3"]["effective"] == "是"
    assert (by_case["DEF-1", "4"]["channel"], by_case["DEF-1", "4"]["default"]) == ("DEFAULT", "是")
    assert by_case["E-1", "2"]["tags"] == "没有提供材料样本"
    # Held for review, or refused publication: the comment stays out.
    assert by_case["HELD-1", "4"]["comment"] == by_case["REJ-1", "4"]["comment"] == ""
    assert by_case["FORM-1", "4"]["comment"] == "'=1+2"  # text in a spreadsheet, not a formula
    workbook = xlsx_rows(await file_bytes(await export("ratings"), "xlsx"))
    from_xlsx = by_key(workbook, RATING_COLUMNS)
    assert from_xlsx[6]["comment"] == "=1+2"  # a text cell there, with nothing added
    from_xlsx[6]["comment"] = "'=1+2"
    assert from_xlsx == rows


async def test_october_s_work_items_are_exported_as_stored(api: Api) -> None:
    await seed_october(api)
    rows = by_key(csv_rows(await file_bytes(await export("work-items"), "csv")), WORK_ITEM_COLUMNS)
    stored = await fetch(
        connection(),
        "SELECT w.id, c.case_no FROM work_item w JOIN case_record c ON c.id = w.case_id "
        "ORDER BY w.id",
    )
    assert [(r["item_id"], r["case_no"]) for r in rows] == [
        (str(s["id"]), s["case_no"]) for s in stored
    ]
    far, upheld = rows
    assert far["case_no"] == "E-1" and far["status"] == "OPEN" and far["step"] == "callback"
    assert far["due_at"] == "2026-10-19T23:59:59+08:00"  # 2 working days from Thu 10-15
    assert (far["overdue"], far["escalated"], far["closed_at"], far["events"]) == (
        "否",
        "否",
        "",
        "1",
    )
    assert upheld == {
        "item_id": upheld["item_id"],
        "case_no": "OCT-1",
        "matter_code": "M-SCJG-001",
        "matter_name": "营业执照设立登记",
        "department_code": "D-SCJG",
        "department_name": "区市场监管局",
        "region_code": "330283",
        "window_code": "W-01",
        "window_name": "综合受理1号窗口",
        "staff_code": "S-01",
        "staff_name": "李晓燕",
        "status": "CLOSED",
        "step": "",
        "opened_at": "2026-10-31T23:30:00+08:00",
        "due_at": "",
        "overdue": "否",
        "escalated": "否",
        "closed_at": "2026-11-01T01:00:00+08:00",  # an hour after NOV-1 was rated
        "close_reason": "APPEAL_UPHELD",
        "events": "4",  # opened, callback, appeal filed, appeal decided
    }
    xlsx = by_key(
        xlsx_rows(await file_bytes(await export("work-items"), "xlsx")), WORK_ITEM_COLUMNS
    )
    assert xlsx == rows


async def test_the_files_hold_no_personal_data(api: Api) -> None:
    await seed_october(api)
    vault = Vault.from_ring(DATA_KEY)
    secrets = [str(p[k]) for p in PEOPLE for k in ("name", "idNumber", "phone")]
    secrets += [vault.lookup_hash(str(p["idNumber"])) for p in PEOPLE]  # the rater keys' part
    for kind in ("ratings", "work-items"):
        texts = [(await file_bytes(await export(kind), "csv")).decode("utf-8-sig")]
        with zipfile.ZipFile(io.BytesIO(await file_bytes(await export(kind), "xlsx"))) as book:
            texts += [book.read(name).decode("utf-8") for name in book.namelist()]
        for text in texts:
            assert not [secret for secret in secrets if secret in text], kind
            assert "citizen:" not in text


def admin(region: str) -> Principal:
    return Principal(subject="admin", role=Role.AREA_ADMIN, region_code=region)


def handler(department: str) -> Principal:
    return Principal(subject="handler", role=Role.DEPT_HANDLER, department_code=department)


async def cases_for(viewer: Principal | None, region: str | None = None) -> list[str] | str:
    scopes = await reach(viewer, region)
    if isinstance(scopes, ExportRefusal):
        return scopes.code
    rows = csv_rows(await file_bytes(await export("ratings", scopes), "csv"))
    return sorted({row["办件编号"] for row in rows})


async def test_each_caller_gets_their_reach_and_no_more(api: Api) -> None:
    await seed_october(api)
    everything = ["DEF-1", "E-1", "FORM-1", "HELD-1", "OCT-1", "OCT-2", "REJ-1"]
    fenghua = [c for c in everything if c != "E-1"]
    assert await cases_for(None) == everything
    assert await cases_for(None, "330283100") == ["OCT-2"]  # the town of 奉化区
    assert await cases_for(None, "999999") == "UNKNOWN_REGION"
    assert await cases_for(None, "33O283") == "BAD_REGION"
    assert await cases_for(admin("330283")) == fenghua  # its town included
    assert await cases_for(admin("330200")) == fenghua  # the city above it
    assert await cases_for(admin("330283"), "330283100") == ["OCT-2"]
    assert await cases_for(admin("330302")) == ["E-1"]
    assert await cases_for(admin("330302"), "330283") == "REGION_OUT_OF_SCOPE"
    assert await cases_for(admin("330283"), "999999") == "REGION_OUT_OF_SCOPE"  # not told apart
    assert await cases_for(handler("D-RSB")) == ["OCT-2"]
    assert await cases_for(handler("D-SCJG"), "330302") == []
    assert await cases_for(handler("D-NONE")) == []
    for role in (Role.WINDOW_STAFF, Role.CITIZEN, Role.POLICY_STAFF, Role.SYSTEM):
        viewer = Principal(subject="x", role=role, department_code="D-SCJG", region_code="330283")
        assert await cases_for(viewer) == "FORBIDDEN"


async def test_a_period_is_two_beijing_dates_both_included() -> None:
    assert period("2026-10-01", "2026-10-31") == OCTOBER
    assert OCTOBER.start == datetime(2026, 9, 30, 16, tzinfo=UTC)
    assert OCTOBER.end == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert period("2026-10-31", "2026-10-31") == Period(date(2026, 10, 31), date(2026, 10, 31))
    bad = ExportRefusal("BAD_DATE", "日期应写作 YYYY-MM-DD，例如 2026-10-01")
    for first, last in [
        ("2026-10-1", "2026-10-31"),
        ("2026/10/01", "2026-10-31"),
        ("2026-02-30", "2026-03-01"),
        ("", "2026-10-31"),
        ("20261001", "20261031"),
    ]:
        assert period(first, last) == bad
    refusal = period("2026-11-01", "2026-10-31")
    assert isinstance(refusal, ExportRefusal) and refusal.code == "PERIOD_REVERSED"


async def test_rows_are_read_and_written_a_chunk_at_a_time(api: Api) -> None:
    await seed_october(api)
    whole = await file_bytes(await export("ratings"), "csv")
    counts: list[int] = []
    chunked = await file_bytes(await export("ratings", chunk=3), "csv", counts)
    assert chunked == whole
    assert counts == [3, 6, 8]  # progress after each chunk of 3 (8 October ratings)
    counts.clear()
    assert xlsx_rows(await file_bytes(await export("ratings", chunk=3), "xlsx", counts))
    assert counts == [3, 6, 8]


async def test_any_table_plugs_into_the_writer() -> None:
    """What the statistics export will be: headers and an iterator of row chunks."""

    async def chunks() -> AsyncIterator[list[list[str | int | None]]]:
        yield [["奉化区", 12, None]]
        yield [["鹿城区", 0, "@SUM(1)"]]

    table = Table(["区划", "差评数", "备注"], chunks())
    assert csv_rows(await file_bytes(table, "csv")) == [
        {"区划": "奉化区", "差评数": "12", "备注": ""},
        {"区划": "鹿城区", "差评数": "0", "备注": "'@SUM(1)"},
    ]


async def test_a_workbook_goes_on_to_another_sheet_where_excel_s_rows_end() -> None:
    """Excel opens 1,048,576 rows of a sheet; here a sheet of 3 (its header and 2 rows)."""

    async def chunks() -> AsyncIterator[list[list[str | int | None]]]:
        yield [[f"第{n}行", n] for n in range(1, 4)]
        yield [["响铃\x07字符", 4], ["最后", 5]]  # a control character XML cannot hold

    data = b"".join(
        [b async for b in written(Table(["名称", "序号"], chunks()), "xlsx", sheet_rows=3)]
    )
    book = load_workbook(io.BytesIO(data))
    sheets = [[list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book]
    assert sheets == [
        [["名称", "序号"], ["第1行", 1], ["第2行", 2]],
        [["名称", "序号"], ["第3行", 3], ["响铃字符", 4]],
        [["名称", "序号"], ["最后", 5]],
    ]


def hcp_export(api: Api, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HCP_")}
    env.update(
        HCP_DATABASE_URL=api.settings.database_url,
        HCP_VAR_DIR=str(api.settings.var_dir),
        HCP_RULES=str(ROOT / "rules.yaml"),
    )
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "export", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        check=False,
    )


async def test_hcp_export_writes_the_same_files_with_progress_on_stderr(
    api: Api, tmp_path: Path
) -> None:
    await seed_october(api)
    october = ("--from", "2026-10-01", "--to", "2026-10-31")
    to_stdout = hcp_export(api, "ratings", *october, "--format", "csv")
    assert to_stdout.returncode == 0, to_stdout.stderr
    assert to_stdout.stdout == await file_bytes(await export("ratings"), "csv")
    assert to_stdout.stderr.decode().splitlines() == [
        "export: 8 ratings",
        "export: 8 ratings written to stdout",
    ]
    target = tmp_path / "工单.xlsx"
    to_file = hcp_export(
        api,
        "work-items",
        *october,
        "--region",
        "330283",
        "--format",
        "xlsx",
        "--output",
        str(target),
    )
    assert to_file.returncode == 0, to_file.stderr
    assert [r["办件编号"] for r in xlsx_rows(target.read_bytes())] == ["OCT-1"]
    assert os.listdir(tmp_path) == [target.name]  # no .part left behind


async def test_hcp_export_refuses_bad_arguments_in_one_line_with_exit_2(api: Api) -> None:
    october = ("--from", "2026-10-01", "--to", "2026-10-31")
    for args, problem in [
        (("ratings", "--from", "2026-10-1", "--to", "2026-10-31"), "take dates as YYYY-MM-DD"),
        (("ratings", "--from", "2026-11-01", "--to", "2026-10-31"), "is after --to"),
        (("ratings", *october, "--region", "999999"), "not a region of this database"),
        (("ratings", *october, "--region", "fenghua"), "not a region code"),
        (("work-items", *october, "--format", "xlsx"), "an XLSX file needs --output"),
    ]:
        refused = hcp_export(api, *args)
        [line] = refused.stderr.decode().splitlines()
        assert refused.returncode == 2 and line.startswith("hcp export: "), refused.stderr
        assert problem in line and refused.stdout == b""
