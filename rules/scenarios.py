"""Scenario tests beside each policy file: `<name>_test.yaml` holds named cases (given
facts -> expected decision), taken from the policy text. One harness runs every file; a new
profile brings its own scenarios and no code. The publishing gate runs the same harness
over a policy's scenarios before the policy may serve (services.policy)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rules.engine import KINDS, Engine
from rules.loader import load, read_yaml
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


def read_scenarios_file(policy_path: Path) -> str:
    """The text of the scenarios beside `policy_path` (a PolicyError when unreadable)."""
    path = scenarios_path(policy_path)
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        name = type(exc).__name__
        raise PolicyError(
            [
                Problem(
                    str(path),
                    1,
                    1,
                    f"读不到场景文件（{name}）：每个规则文件旁边要有同名的 _test.yaml 场景文件",
                    message_en=f"cannot read scenarios ({name})",
                )
            ]
        ) from None


def read_scenarios(text: str, name: str) -> list[Any]:
    """The scenarios of a scenarios file's text, read under a policy's bounds (no anchors
    or aliases: one can stand for a billion values); a PolicyError when there are none."""
    _tree, data = read_yaml(text, name)
    scenarios = data.get("scenarios") if isinstance(data, dict) else None
    if not isinstance(scenarios, list) or not scenarios:
        raise PolicyError(
            [
                Problem(
                    name,
                    1,
                    1,
                    "场景文件要有一个不为空的 `scenarios:` 列表",
                    message_en="expected a non-empty `scenarios:` list",
                )
            ]
        )
    return scenarios


def run_scenarios(policy_path: Path, lang: str = "zh") -> list[Result]:
    """The scenarios beside `policy_path`, run against it (`hcp rules test`)."""
    engine = Engine(load(policy_path))
    try:
        path = scenarios_path(policy_path)
        scenarios = read_scenarios(read_scenarios_file(policy_path), str(path))
        return run_on(engine, scenarios, lang)
    finally:
        engine.retire()


def run_on(engine: Engine, scenarios: Sequence[Any], lang: str = "zh") -> list[Result]:
    return [_run(engine, index, scenario, lang) for index, scenario in enumerate(scenarios)]


def _run(engine: Engine, index: int, scenario: Any, lang: str) -> Result:
    def say(zh: str, en: str) -> str:
        return en if lang == "en" else zh

    if not isinstance(scenario, dict):
        return Result(
            f"#{index + 1}", False, (), (say("场景要写成键值对", "a scenario must be a mapping"),)
        )
    name = str(scenario.get("name") or f"#{index + 1}")
    kind = scenario.get("decide")
    if kind not in KINDS:
        kinds = ", ".join(KINDS)
        return Result(
            name,
            False,
            (),
            (say(f"decide 只能是 {kinds} 之一", f"decide: must be one of {kinds}"),),
        )
    try:
        decision = engine.evaluate(kind, scenario.get("given") or {})
    except (ValueError, KeyError, TypeError) as exc:
        return Result(
            name,
            False,
            (),
            (
                say(
                    f"given 里的条件不适用于 {kind}：{exc}",
                    f"the given facts do not fit {kind}: {exc}",
                ),
            ),
        )
    failures = list(_compare("", scenario.get("expect") or {}, dict(decision.outcome), say))
    for rule_id in scenario.get("fired") or []:
        if rule_id not in decision.fired:
            failures.append(
                say(f"规则 {rule_id} 应当生效，但没有", f"rule {rule_id} should have fired")
            )
    for rule_id in scenario.get("not_fired") or []:
        if rule_id in decision.fired:
            failures.append(
                say(f"规则 {rule_id} 不应生效，但生效了", f"rule {rule_id} should not have fired")
            )
    return Result(name, not failures, decision.fired, tuple(failures))


def _compare(prefix: str, expected: Any, actual: Any, say: Any) -> Iterator[str]:
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            where = prefix or "outcome"
            yield say(
                f"{where}：应为 {expected!r}，实际为 {actual!r}",
                f"{where}: expected {expected!r}, got {actual!r}",
            )
            return
        for key, value in expected.items():
            where = f"{prefix}.{key}" if prefix else str(key)
            if key not in actual and value is not None:
                yield say(
                    f"{where}：应为 {value!r}，但决定里没有 {key}",
                    f"{where}: expected {value!r}, but the decision has no {key}",
                )
            else:
                yield from _compare(where, value, actual.get(key), say)
        return
    if not _equal(expected, actual):
        shown = _show(actual)
        yield say(
            f"{prefix}：应为 {expected!r}，实际为 {shown!r}",
            f"{prefix}: expected {expected!r}, got {shown!r}",
        )


def _equal(expected: Any, actual: Any) -> bool:
    if isinstance(actual, dt.datetime) and isinstance(expected, str | dt.datetime):
        wanted = dt.datetime.fromisoformat(expected) if isinstance(expected, str) else expected
        return wanted == actual
    return bool(expected == actual)


def _show(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value
