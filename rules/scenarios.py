"""Scenario tests beside each policy file: `<name>_test.yaml` holds named cases (given
facts -> expected decision), taken from the policy text. One harness runs every file; a new
profile brings its own scenarios and no code."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rules.engine import KINDS, Engine
from rules.loader import read_yaml
from rules.policy_problems import PolicyError, Problem


@dataclass(frozen=True)
class Result:
    name: str
    passed: bool
    fired: tuple[str, ...]
    failures: tuple[str, ...]

    def __str__(self) -> str:
        mark = "PASS" if self.passed else "FAIL"
        lines = [f"{mark} {self.name}  [fired: {', '.join(self.fired) or '-'}]"]
        lines += [f"     {failure}" for failure in self.failures]
        return "\n".join(lines)


def scenarios_path(policy_path: Path) -> Path:
    return policy_path.with_name(f"{policy_path.stem}_test.yaml")


def run_scenarios(policy_path: Path) -> list[Result]:
    engine = Engine.from_path(policy_path)
    path = scenarios_path(policy_path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise PolicyError(
            [Problem(str(path), 1, 1, f"cannot read scenarios ({type(exc).__name__})")]
        ) from None
    # Read as a policy is: no anchors or aliases (one can stand for a billion values).
    _tree, data = read_yaml(text, str(path))
    scenarios = data.get("scenarios") if isinstance(data, dict) else None
    if not isinstance(scenarios, list) or not scenarios:
        raise PolicyError([Problem(str(path), 1, 1, "expected a non-empty `scenarios:` list")])
    return [_run(engine, index, scenario) for index, scenario in enumerate(scenarios)]


def _run(engine: Engine, index: int, scenario: Any) -> Result:
    if not isinstance(scenario, dict):
        return Result(f"#{index + 1}", False, (), ("a scenario must be a mapping",))
    name = str(scenario.get("name") or f"#{index + 1}")
    kind = scenario.get("decide")
    if kind not in KINDS:
        return Result(name, False, (), (f"decide: must be one of {', '.join(KINDS)}",))
    try:
        decision = engine.evaluate(kind, scenario.get("given") or {})
    except (ValueError, KeyError, TypeError) as exc:
        return Result(name, False, (), (f"the given facts do not fit {kind}: {exc}",))
    failures = list(_compare("", scenario.get("expect") or {}, dict(decision.outcome)))
    for rule_id in scenario.get("fired") or []:
        if rule_id not in decision.fired:
            failures.append(f"rule {rule_id} should have fired")
    for rule_id in scenario.get("not_fired") or []:
        if rule_id in decision.fired:
            failures.append(f"rule {rule_id} should not have fired")
    return Result(name, not failures, decision.fired, tuple(failures))


def _compare(prefix: str, expected: Any, actual: Any) -> Iterator[str]:
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            yield f"{prefix or 'outcome'}: expected {expected!r}, got {actual!r}"
            return
        for key, value in expected.items():
            where = f"{prefix}.{key}" if prefix else str(key)
            if key not in actual and value is not None:
                yield f"{where}: expected {value!r}, but the decision has no {key}"
            else:
                yield from _compare(where, value, actual.get(key))
        return
    if not _equal(expected, actual):
        yield f"{prefix}: expected {expected!r}, got {_show(actual)!r}"


def _equal(expected: Any, actual: Any) -> bool:
    if isinstance(actual, dt.datetime) and isinstance(expected, str | dt.datetime):
        wanted = dt.datetime.fromisoformat(expected) if isinstance(expected, str) else expected
        return wanted == actual
    return bool(expected == actual)


def _show(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value
