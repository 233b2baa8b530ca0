"""The publishing gate: a policy may serve only when it is valid (`hcp rules check`) and
every scenario of its scenarios file passes (`hcp rules test`), whether it arrives by the
watched file, by publishRules or as a rollback. Also the dry runs of the rules workbench:
check a draft, run its scenarios, try one decision."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rules import KINDS, PARSE_SECONDS, Engine, PolicyError, Problem, Source, parse_bounded
from rules.scenarios import Result, read_scenarios, run_on

SCENARIOS_NAME = "<scenarios>"


@dataclass(frozen=True)
class RulesRefusal:
    """Why a policy may not serve: `code` INVALID_RULES (its problems), INVALID_SCENARIOS
    (the scenarios file's problems), NO_SCENARIOS, or SCENARIOS_FAILED (`failed`)."""

    code: str
    problems: list[Problem] = field(default_factory=list)
    failed: list[Result] = field(default_factory=list)


@dataclass(frozen=True)
class Trial:
    outcome: dict[str, Any]
    fired: tuple[str, ...]
    version: str


async def gate(
    text: str,
    scenarios: str | None,
    *,
    name: str,
    lang: str,
    history: Sequence[Source] = (),
    seconds: float = PARSE_SECONDS,
) -> Source | RulesRefusal:
    """The policy, when it may serve; otherwise why not. `history`: the versions it
    follows (the engine's timeline), so that its scenarios see cases completed before its
    effective date judged as they will be."""
    try:
        source = await parse_bounded(text, name, seconds=seconds)
    except PolicyError as exc:
        return RulesRefusal("INVALID_RULES", exc.problems)
    results = await run_scenarios(source, scenarios, lang=lang, history=history)
    if isinstance(results, RulesRefusal):
        return results
    failed = [r for r in results if not r.passed]
    return RulesRefusal("SCENARIOS_FAILED", failed=failed) if failed else source


async def run_scenarios(
    source: Source, scenarios: str | None, *, lang: str, history: Sequence[Source] = ()
) -> list[Result] | RulesRefusal:
    """Every scenario of `scenarios` (a scenarios file's text) against `source` following
    `history` (rules.eras)."""
    if scenarios is None or not scenarios.strip():
        return RulesRefusal("NO_SCENARIOS")
    try:
        cases = read_scenarios(scenarios, SCENARIOS_NAME)
    except PolicyError as exc:
        return RulesRefusal("INVALID_SCENARIOS", exc.problems)
    return await asyncio.to_thread(_run, source, cases, lang, history)


def _run(source: Source, cases: list[Any], lang: str, history: Sequence[Source]) -> list[Result]:
    engine = Engine(source, history)
    try:
        return run_on(engine, cases, lang)
    finally:
        engine.retire()


async def check(text: str, *, name: str) -> Source | RulesRefusal:
    try:
        return await parse_bounded(text, name)
    except PolicyError as exc:
        return RulesRefusal("INVALID_RULES", exc.problems)


async def try_decision(text: str, kind: str, given: str, *, name: str) -> Trial | RulesRefusal:
    """One decision of the draft on sample facts (`given`: a JSON object, the scenario
    files' `given:`), with the rules that fired."""
    source = await check(text, name=name)
    if isinstance(source, RulesRefusal):
        return source
    facts = _facts(given)
    if kind not in KINDS or facts is None:
        return RulesRefusal("BAD_FACTS")
    engine = Engine(source)
    try:
        decision = engine.evaluate(kind, facts)
    except (ValueError, KeyError, TypeError):
        return RulesRefusal("BAD_FACTS")
    finally:
        engine.retire()
    return Trial(dict(decision.outcome), decision.fired, decision.version)


def _facts(given: str) -> dict[str, Any] | None:
    try:
        facts = json.loads(given)
    except ValueError:
        return None
    return facts if isinstance(facts, dict) else None
