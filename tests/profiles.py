"""The regional policies shipped in rules/profiles/, found by glob so that a new profile is
tested without being added to a list by hand."""

from __future__ import annotations

from pathlib import Path

PROFILES_DIR = Path(__file__).resolve().parents[1] / "rules" / "profiles"
# The five regional policies the project ships; a glob finding fewer has lost some.
AT_LEAST = 5


def profile_names() -> list[str]:
    """Every policy in rules/profiles/ by name, sorted; `<name>_test.yaml` scenarios left out."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.yaml") if not p.stem.endswith("_test"))


def policy_file(name: str) -> Path:
    """rules.yaml ("rules") or a profile, by name."""
    root = PROFILES_DIR.parents[1]
    return root / "rules.yaml" if name == "rules" else PROFILES_DIR / f"{name}.yaml"


def scenarios_text(name: str) -> str:
    """The scenarios a policy is published with (`<name>_test.yaml` beside it)."""
    path = policy_file(name)
    return path.with_name(f"{path.stem}_test.yaml").read_text("utf-8")


def ten_working_days(label: str) -> tuple[str, str]:
    """rules.yaml with a late-rating window of 10 working days instead of 5, labelled, and
    its scenarios saying so (the publishing gate refuses it with the template's)."""
    text = policy_file("rules").read_text("utf-8")
    text = text.replace("version: template-2026.1", f"version: {label}", 1)
    late = "可在5个工作日内补充评价\n    within: 5 working days"
    assert text.count(late) == 1
    text = text.replace(late, late.replace("within: 5", "within: 10"))
    edits = {
        'expect: {deadline: "2026-10-13T23:59:59+08:00", open: true}': (
            'expect: {deadline: "2026-10-20T23:59:59+08:00", open: true}'
        ),
        "expect: {accepted: false, code: RATING_WINDOW_CLOSED}": "expect: {accepted: true}",
        'window_closed_before: "2026-10-08T00:00:00+08:00"': (
            'window_closed_before: "2026-09-23T00:00:00+08:00"'
        ),
    }
    scenarios = scenarios_text("rules")
    for before, after in edits.items():
        assert scenarios.count(before) == 1, before
        scenarios = scenarios.replace(before, after)
    return text, scenarios
