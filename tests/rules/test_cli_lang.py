"""`hcp rules check|test` and `python -m rules check|test` speak the policy staff's Chinese;
English with --lang en or HCP_LANG=en."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from rules import cli
from tests.rules.broken_cases import write_broken

ROOT = Path(__file__).resolve().parents[2]
CHINESE = "“5 weekdays”不是系统认识的时长"
ENGLISH = "'5 weekdays' is not a duration"


def run(tmp_path: Path, *args: str, lang: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "HCP_LANG"}
    env.update({"HCP_VAR_DIR": str(tmp_path), "HCP_ENV": "dev"})
    if lang is not None:
        env["HCP_LANG"] = lang
    result = subprocess.run(
        [sys.executable, "-m", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    return result.stdout


def test_python_m_rules_is_chinese_by_default_and_english_when_asked(tmp_path: Path) -> None:
    path = str(write_broken("weekdays.yaml", tmp_path))
    assert CHINESE in run(tmp_path, "rules", "check", path)
    assert ENGLISH in run(tmp_path, "rules", "check", "--lang", "en", path)
    assert ENGLISH in run(tmp_path, "rules", "check", path, lang="en")
    assert CHINESE in run(tmp_path, "rules", "check", "--lang", "zh", path, lang="en")


def test_hcp_rules_takes_its_language_from_the_flag_or_hcp_lang(tmp_path: Path) -> None:
    path = str(write_broken("weekdays.yaml", tmp_path))
    assert CHINESE in run(tmp_path, "server.cli", "rules", "check", path)
    assert ENGLISH in run(tmp_path, "server.cli", "rules", "check", path, "--lang", "en")
    assert ENGLISH in run(tmp_path, "server.cli", "rules", "--lang", "en", "check", path)
    assert ENGLISH in run(tmp_path, "server.cli", "rules", "check", path, lang="en")
    assert CHINESE in run(tmp_path, "server.cli", "rules", "check", path, "--lang", "zh", lang="en")


def test_the_scenarios_summary_in_both_languages() -> None:
    policy = ROOT / "rules.yaml"
    chinese, english = io.StringIO(), io.StringIO()
    assert cli.test([policy], chinese) == 0 and cli.test([policy], english, lang="en") == 0
    assert chinese.getvalue().splitlines()[-1].endswith(" 个场景通过，0 个未通过")
    assert english.getvalue().splitlines()[-1].endswith(" passed, 0 failed")
