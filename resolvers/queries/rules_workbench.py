"""The rules workbench's questions (policy staff only): check a draft as it is typed, run
its scenarios, try one decision on sample facts, the active policy, the versions and what
changed between two of them. Nothing here changes what is served."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.stores.policy_versions import VersionEntry
from rules import BUSINESS_TZ
from rules.diff import diff
from schema.core.context import Context
from schema.core.errors import NotFoundError
from schema.core.rules import (
    RuleChange,
    RuleProblem,
    RulesRejected,
    ScenarioResult,
    changes,
    problems,
    rejected,
    results,
)
from services.identity import Role
from services.policy_gate import RulesRefusal, check, run_scenarios, try_decision
from services.policy_versions import active_policy, version_diff, versions

DRAFT = "<draft>"


@strawberry.type(description="A draft policy checked: its problems and what it changes")
class RulesCheck:
    ok: bool = strawberry.field(description="no problems (warnings allowed)")
    version: str | None
    problems: list[RuleProblem] = strawberry.field(description="errors and warnings, by line")
    changes: list[RuleChange] = strawberry.field(description="against the active policy")


@strawberry.type(description="A draft's scenarios run: what passed and what failed")
class ScenarioRun:
    passed: int
    failed: int
    results: list[ScenarioResult]
    problems: list[RuleProblem] = strawberry.field(
        description="the draft or the scenarios are invalid (then results is empty)"
    )
    code: str | None = strawberry.field(
        description="INVALID_RULES, INVALID_SCENARIOS or NO_SCENARIOS when nothing ran"
    )


@strawberry.type(description="One decision of a draft on sample facts")
class RulesTrial:
    outcome: str = strawberry.field(description="the decision's outcome as JSON")
    fired: list[str]
    version: str


TryRulesResult = Annotated[RulesTrial | RulesRejected, strawberry.union("TryRulesResult")]


@strawberry.type(description="A published policy version")
class RulesVersionEntry:
    id: strawberry.ID
    version: str
    digest: str
    label: str
    effective_from: str | None = strawberry.field(description="施行日期 (Beijing); null: all cases")
    published_at: str = strawberry.field(description="first made active (ISO, Beijing time)")
    published_by: str
    note: str
    via: str = strawberry.field(description="FILE, API, ROLLBACK or START")
    active: bool


@strawberry.type(description="The policy served now, with its scenarios")
class ActiveRules:
    id: strawberry.ID | None = strawberry.field(description="its stored version")
    version: str
    yaml: str
    scenarios: str


@strawberry.type(description="What changed from one version to another")
class RulesDiff:
    from_: RulesVersionEntry = strawberry.field(name="from")
    to: RulesVersionEntry
    changes: list[RuleChange]


async def check_rules(info: Info[Context, None], yaml: str) -> RulesCheck:
    lang = _staff(info)
    found = await check(yaml, name=DRAFT)
    if isinstance(found, RulesRefusal):
        return RulesCheck(
            ok=False, version=None, problems=problems(found.problems, lang), changes=[]
        )
    active = info.context.collaborators.engine.source
    return RulesCheck(
        ok=True,
        version=found.version,
        problems=problems(list(found.warnings), lang),
        changes=changes(diff(active, found, lang)),
    )


async def run_rules_scenarios(
    info: Info[Context, None],
    yaml: str,
    scenarios: Annotated[
        str | None, strawberry.argument(description="null: the active policy's scenarios")
    ] = None,
) -> ScenarioRun:
    lang = _staff(info)
    found = await check(yaml, name=DRAFT)
    if isinstance(found, RulesRefusal):
        return _not_run(found, lang)
    if scenarios is None:
        collaborators = info.context.collaborators
        scenarios = (await active_policy(collaborators.engine, collaborators.rules_path)).scenarios
    history = info.context.collaborators.engine.timeline
    ran = await run_scenarios(found, scenarios, lang=lang, history=history)
    if isinstance(ran, RulesRefusal):
        return _not_run(ran, lang)
    failed = sum(not r.passed for r in ran)
    return ScenarioRun(
        passed=len(ran) - failed, failed=failed, results=results(ran), problems=[], code=None
    )


async def try_rules(
    info: Info[Context, None], yaml: str, decide: str, given: str
) -> TryRulesResult:
    lang = _staff(info)
    trial = await try_decision(yaml, decide, given, name=DRAFT)
    if isinstance(trial, RulesRefusal):
        return rejected(trial, lang)
    outcome = json.dumps(trial.outcome, ensure_ascii=False, default=_plain)
    return RulesTrial(outcome=outcome, fired=list(trial.fired), version=trial.version)


async def active_rules(info: Info[Context, None]) -> ActiveRules:
    _staff(info)
    collaborators = info.context.collaborators
    found = await active_policy(collaborators.engine, collaborators.rules_path)
    stored = None if found.id is None else strawberry.ID(str(found.id))
    return ActiveRules(id=stored, version=found.version, yaml=found.text, scenarios=found.scenarios)


async def rules_versions(info: Info[Context, None], limit: int = 50) -> list[RulesVersionEntry]:
    _staff(info)
    return [_entry(e) for e in await versions(limit)]


async def rules_diff(
    info: Info[Context, None],
    from_: Annotated[strawberry.ID, strawberry.argument(name="from")],
    to: strawberry.ID,
) -> RulesDiff:
    lang = _staff(info)
    before, after = _number(from_), _number(to)
    found = None
    if before is not None and after is not None:
        found = await version_diff(before, after, lang)
    if found is None:
        raise NotFoundError("no such policy version")
    return RulesDiff(
        from_=_entry(found.before), to=_entry(found.after), changes=changes(found.changes)
    )


def _staff(info: Info[Context, None]) -> str:
    info.context.require(Role.POLICY_STAFF)
    return info.context.collaborators.lang


def _not_run(refusal: RulesRefusal, lang: str) -> ScenarioRun:
    return ScenarioRun(
        passed=0,
        failed=0,
        results=[],
        problems=problems(refusal.problems, lang),
        code=refusal.code,
    )


def _entry(entry: VersionEntry) -> RulesVersionEntry:
    effective = entry.effective_from
    return RulesVersionEntry(
        id=strawberry.ID(str(entry.id)),
        version=f"{entry.label}@{entry.digest}" if entry.label else entry.digest,
        digest=entry.digest,
        label=entry.label,
        effective_from=None
        if effective is None
        else effective.astimezone(BUSINESS_TZ).date().isoformat(),
        published_at=_beijing(entry.published_at),
        published_by=entry.published_by,
        note=entry.note,
        via=entry.via,
        active=entry.active,
    )


def _beijing(moment: datetime) -> str:
    return moment.astimezone(BUSINESS_TZ).isoformat(timespec="seconds")


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 10 else None


def _plain(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
