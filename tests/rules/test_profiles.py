"""Every shipped policy is valid and passes the scenarios taken from its text."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from rules.cli import check
from rules.scenarios import run_scenarios, scenarios_path
from tests.profiles import AT_LEAST, PROFILES_DIR, profile_names

ROOT = Path(__file__).resolve().parents[2]
PROFILES = profile_names()
POLICIES = [ROOT / "rules.yaml", *(PROFILES_DIR / f"{p}.yaml" for p in PROFILES)]


def test_the_shipped_profiles_are_found() -> None:
    assert len(PROFILES) >= AT_LEAST, PROFILES


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.stem)
def test_policy_is_valid_and_its_scenarios_pass(policy: Path) -> None:
    out = io.StringIO()
    assert check([policy], out) == 0, out.getvalue()
    assert "提醒：" not in out.getvalue()  # e.g. a reminder that would not fit one SMS
    assert scenarios_path(policy).exists()
    results = run_scenarios(policy)
    failed = [str(r) for r in results if not r.passed]
    assert not failed, "\n".join(failed)
    assert len(results) >= 10
