"""The GraphQL shapes of policy work (publishing, the rules workbench): problems located in
the submitted text, scenario results, changes in words, and a refusal."""

from __future__ import annotations

import strawberry

from rules import Problem
from rules.diff import Change
from rules.scenarios import Result
from services.policy_gate import RulesRefusal


@strawberry.type(description="One problem in a policy, located in the submitted text (1-based)")
class RuleProblem:
    line: int
    column: int
    message: str
    warning: bool = strawberry.field(description="valid, but probably not what was meant")


@strawberry.type(description="One scenario of a scenarios file, run against a policy")
class ScenarioResult:
    name: str
    passed: bool
    fired: list[str]
    failures: list[str]


@strawberry.type(description="One changed rule or section between two policies, in words")
class RuleChange:
    section: str
    rule_id: str | None
    kind: str = strawberry.field(description="ADDED, REMOVED or CHANGED")
    summary: str
    details: list[str]


@strawberry.type(
    description="Refused: the active policy keeps serving. code: INVALID_RULES (problems), "
    "INVALID_SCENARIOS (the scenarios' problems), NO_SCENARIOS, SCENARIOS_FAILED "
    "(failedScenarios), BAD_FACTS, BAD_PERIOD, NOT_FOUND"
)
class RulesRejected:
    code: str
    problems: list[RuleProblem]
    failed_scenarios: list[ScenarioResult] = strawberry.field(default_factory=list)


def problems(found: list[Problem], lang: str) -> list[RuleProblem]:
    ordered = sorted(found, key=lambda p: (p.line, p.column))
    return [
        RuleProblem(line=p.line, column=p.column, message=p.text(lang), warning=p.warning)
        for p in ordered
    ]


def results(found: list[Result]) -> list[ScenarioResult]:
    return [
        ScenarioResult(name=r.name, passed=r.passed, fired=list(r.fired), failures=list(r.failures))
        for r in found
    ]


def changes(found: list[Change]) -> list[RuleChange]:
    return [
        RuleChange(
            section=c.section,
            rule_id=c.rule_id,
            kind=c.kind,
            summary=c.summary,
            details=list(c.details),
        )
        for c in found
    ]


def rejected(refusal: RulesRefusal, lang: str) -> RulesRejected:
    return RulesRejected(
        code=refusal.code,
        problems=problems(refusal.problems, lang),
        failed_scenarios=results(refusal.failed),
    )
