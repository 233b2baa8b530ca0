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
