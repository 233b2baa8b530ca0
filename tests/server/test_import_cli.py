"""`hcp import` as an operator runs it, on SQLite and PostgreSQL: the templates in
docs/import load into an empty database and make its region's cases acceptable; bad rows
are reported on stderr as FILE:ROW: COLUMN: message; one JSON line on stdout; exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from models.db import connection, execute, fetch
from tests.conftest import ROOT, Api, token
from tests.factories import INGEST, case_input

HCP = [sys.executable, "-m", "server.cli"]
TEMPLATES = sorted((ROOT / "docs" / "import").glob("*.csv"))


def hcp_import(api: Api, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HCP_")}
    env.update(
        HCP_DATABASE_URL=api.settings.database_url,
        HCP_VAR_DIR=str(api.settings.var_dir),
        HCP_RULES=str(ROOT / "rules.yaml"),
    )
    return subprocess.run(
        [*HCP, "import", *map(str, args)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def summary(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    [line] = done.stdout.splitlines()
    body: dict[str, Any] = json.loads(line)
    return body


async def empty_reference_tables() -> None:
    """The fixture seeds regions; the operator's database starts with none."""
    conn = connection()
    await execute(conn, "UPDATE region SET parent_id = NULL")
    await execute(conn, "DELETE FROM region")


async def ingest_one(api: Api, case_no: str) -> dict[str, Any]:
    body = await api.gql(INGEST, {"cases": [case_input(case_no)]}, token("system"))
    [result] = body["data"]["ingestCases"]["results"]
    outcome: dict[str, Any] = result
    return outcome


async def test_the_templates_load_an_empty_database_and_its_cases_are_accepted(
    api: Api,
) -> None:
    await empty_reference_tables()
    before = await ingest_one(api, "IMPORT-0001")
    assert before["code"] == "UNKNOWN_REGION"
    # Given in name order (departments first): the kinds are taken in dependency order.
    done = hcp_import(api, *TEMPLATES)
    assert done.returncode == 0, done.stderr
    report = summary(done)
    assert report["checked_only"] is False
    assert (report["files"], report["rows"], report["rejected"]) == (6, 12, 0)
    assert report["created"] == dict.fromkeys(report["created"], 2)
    after = await ingest_one(api, "IMPORT-0002")
    assert after["__typename"] == "CaseIngested", after
    links = await fetch(
        connection(),
        "SELECT s.code AS staff, w.code AS window FROM staff_window sw "
        "JOIN staff s ON s.id = sw.staff_id JOIN service_window w ON w.id = sw.window_id "
        "ORDER BY s.code",
    )
    assert links == [{"staff": "S-01", "window": "W-01"}, {"staff": "S-05", "window": "W-XK-1"}]
    again = hcp_import(api, *TEMPLATES)
    assert again.returncode == 0
    assert "nothing changed" in again.stderr
    assert summary(again)["unchanged"] == dict.fromkeys(report["created"], 2)
    assert summary(again)["created"] == dict.fromkeys(report["created"], 0)


async def test_bad_rows_are_reported_by_file_row_and_column_and_exit_1(
    api: Api, tmp_path: Path
) -> None:
    halls = tmp_path / "大厅.csv"
    halls.write_text(
        "编码,名称,所属区划\nH-1,一号大厅,330283\nH-2,,330283\nH-1,重复,330283\n",
        encoding="utf-8-sig",
    )
    done = hcp_import(api, halls)
    assert done.returncode == 1
    report = summary(done)
    assert report["created"]["halls"] == 1
    assert report["rejected"] == 2
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(3, "名称"), (4, "编码")]
    assert f"{halls}:3: 名称: 名称为必填项，不能为空" in done.stderr.splitlines()
    assert f"{halls}:4: 编码: 编码“H-1”重复：与第 2 行相同，以先出现的一行为准" in done.stderr
    assert "Traceback" not in done.stderr
    assert [r["code"] for r in await fetch(connection(), "SELECT code FROM hall")] == ["H-1"]


async def test_check_reports_what_would_change_and_writes_nothing(api: Api) -> None:
    done = hcp_import(api, "--check", *TEMPLATES)
    assert done.returncode == 0, done.stderr
    report = summary(done)
    assert report["checked_only"] is True
    assert report["created"]["halls"] == 2
    assert await fetch(connection(), "SELECT code FROM hall") == []
    assert await fetch(connection(), "SELECT code FROM department") == []


async def test_an_unreadable_file_exits_2_and_nothing_is_written(api: Api, tmp_path: Path) -> None:
    old_excel = tmp_path / "halls.xls"
    old_excel.write_bytes(b"\xd0\xcf\x11\xe0")
    done = hcp_import(api, ROOT / "docs" / "import" / "departments.csv", old_excel)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "halls.xls: 不支持的文件类型“.xls”" in done.stderr
    assert "Traceback" not in done.stderr
    assert await fetch(connection(), "SELECT code FROM department") == []
    missing = hcp_import(api, tmp_path / "nothing.csv")
    assert missing.returncode == 2
    assert "无法读取文件" in missing.stderr
