"""What a rater is told before rating: whether they may rate a case now (the judgement
submitRating makes, services.rating_access.judge, asked with an acceptable good level),
which cases the rating lands on, a one-thing bundle's overall rating, when a default rating
fell due, and what happens after a bad rating. Every number comes from the rules engine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from models.db import connection
from models.enums import Channel
from models.stores.rating_cases import (
    RatedCase,
    bundle_of,
    cases_by_id,
    open_cases_of,
    regions_below,
    target_cases,
)
from rules import AppliesTo, Engine
from rules.durations import parse_duration
from services.raters import Rater
from services.rating_access import judge, precheck
from services.rating_results import RatingRefusal, Submission, rejected
from services.ratings import form_levels

# How the form words the policy's vocabulary (who acts, what they do).
_ACTORS = {
    "dept_handler": "办件部门",
    "window_staff": "办理窗口",
    "area_admin": "地区管理部门",
}
_STEPS = {
    "callback": "回访",
    "appeal": "核实",
    "rectification": "整改",
    "appeal_review": "复核",
}


@dataclass(frozen=True)
class Landing:
    """Where one rating of the case lands: kind (case, batch or members), how many cases,
    and a sentence for the rater when it is more than the one case."""

    kind: AppliesTo
    case_count: int
    notice: str | None


@dataclass(frozen=True)
class Bundle:
    """The one-thing bundle (一件事) a case belongs to, and whether it may be rated whole."""

    number: str
    name: str
    member_count: int
    overall_allowed: bool
    notice: str


@dataclass(frozen=True)
class FormFacts:
    refusal: RatingRefusal | None
    landing: Landing
    bundle: Bundle | None


def probe(engine: Engine, channel: Channel, case_no: str) -> Submission:
    """The rating asked about when the question is "may this case be rated now": the best
    level that needs no reason (a level needing one gets a comment), as the rater could send."""
    levels = form_levels(engine, channel.value)
    easy = [lv for lv in levels if lv.category == "good" and not lv.reason_required]
    level = (easy or levels)[0] if levels else None
    needs_reason = level is not None and level.reason_required
    return Submission(
        target="case",
        number=case_no,
        level=level.level if level is not None else 0,
        channel=channel,
        comment="说明" if needs_reason else None,
    )


async def _regions(rater: Rater) -> frozenset[int] | None:
    return await regions_below(rater.region_code) if rater.role == "hotline_operator" else None


def refusal_of(
    case: RatedCase,
    rater: Rater,
    engine: Engine,
    now: datetime,
    channel: Channel,
    regions: frozenset[int] | None,
) -> RatingRefusal | None:
    """Why submitRating would refuse a good rating of `case` now, or None: it would accept."""
    submission = probe(engine, channel, case.case_no)
    refused = precheck(submission, rater)
    if refused is not None:
        return refused
    judged = judge(submission, [case], rater, engine, now, regions)
    return judged if isinstance(judged, RatingRefusal) else None


async def refusals(
    case_ids: Sequence[int], rater: Rater, engine: Engine, now: datetime, channel: Channel
) -> dict[int, RatingRefusal | None]:
    """refusal_of for a page of cases, read in one statement."""
    regions = await _regions(rater)
    return {
        case.id: refusal_of(case, rater, engine, now, channel, regions)
        for case in await cases_by_id(case_ids)
    }


async def to_rate(rater: Rater, engine: Engine, now: datetime, channel: Channel) -> list[int]:
    """The ids of the citizen's cases that await their rating now (待评价): not yet rated
    (or a fix awaiting its follow-up rating) and open to a rating by the policy."""
    if rater.applicant_hash is None:
        return []
    return [
        case.id
        for case in await open_cases_of(rater.applicant_hash)
        if refusal_of(case, rater, engine, now, channel, None) is None
    ]


async def form_facts(
    case_no: str, rater: Rater, engine: Engine, now: datetime, channel: Channel
) -> FormFacts:
    """The form's answers for one case the caller has found the rater may see."""
    found = await target_cases(connection(), "case", case_no, lock=False)
    case = next((c for c in found if c.case_no == case_no), None)
    if case is None:
        return FormFacts(rejected("NOT_FOUND"), Landing(AppliesTo.CASE, 0, None), None)
    refusal = refusal_of(case, rater, engine, now, channel, await _regions(rater))
    bundle = await _bundle(case, engine)
    return FormFacts(refusal, _landing(case, found, bundle, engine), bundle)


def _landing(
    case: RatedCase, found: list[RatedCase], bundle: Bundle | None, engine: Engine
) -> Landing:
    reach = engine.scope(
        "case",
        in_batch=case.batch_id is not None,
        in_integrated_service=case.service_id is not None,
    ).value.applies_to
    if reach is AppliesTo.BATCH and case.batch_id is not None:
        count = sum(1 for c in found if c.batch_id == case.batch_id)
        return Landing(reach, count, f"将同时评价本批次{count}件办件" if count > 1 else None)
    if reach is AppliesTo.MEMBERS and bundle is not None:
        count = bundle.member_count
        return Landing(reach, count, f"将同时评价本件事的{count}项事项")
    return Landing(AppliesTo.CASE, 1, None)


async def _bundle(case: RatedCase, engine: Engine) -> Bundle | None:
    if case.service_id is None:
        return None
    number, name, members = await bundle_of(case.service_id)
    overall = engine.scope("integrated_service", in_batch=False, in_integrated_service=True)
    return Bundle(
        number=number,
        name=name,
        member_count=members,
        overall_allowed=overall.value.code is None
        and overall.value.applies_to is AppliesTo.MEMBERS,
        notice=f"一件事整体评价：结果适用于本件事的{members}项事项",
    )


def default_due(engine: Engine, completed_at: datetime | None) -> datetime | None:
    """When the policy's default rating of a case completed then fell (or falls) due."""
    if completed_at is None:
        return None
    return engine.case_deadlines(completed_at).value.default_at


def after_bad(engine: Engine, now: datetime) -> str | None:
    """What happens to a bad rating given now: the workflow's first step, who takes it and
    within what time (rules.yaml workflow and deadlines); None when the policy has no loop."""
    steps = engine.loop().steps
    if not steps:
        return None
    first = steps[0]
    actor = _ACTORS.get(first.actor, "相关部门")
    what = _STEPS.get(first.step, "处理")
    due = engine.deadline(first.step, now).value
    if due is None:
        return f"您的差评将转交{actor}{what}"
    return f"您的差评将转交{actor}，{parse_duration(due.within).zh()}内{what}"
