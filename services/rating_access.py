"""May this rater rate these cases now, and what does the policy make of the rating? Is a
case's effective rating the applicant's own? The answers every channel gets: submitRating
(services.submit_rating) and the forms that offer rating (services.rating_form) ask the same
`judge`, so a form never offers what the rating would refuse."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.enums import RatingStatus
from models.stores.rating_cases import RatedCase
from rules import Decided, Engine, Prior, RatingFacts, RatingVerdict, Reach
from services.pads import pad_may_rate
from services.raters import OWN_ROLES, Rater, normalise_staff_code
from services.rating_results import MAX_TEXT, RatingRefusal, Submission, rejected
from services.ratings import prior


@dataclass(frozen=True)
class Judged:
    """A rating the policy accepts: the case it is anchored on, where it lands, what it means."""

    anchor: RatedCase
    scope: Decided[Reach]
    decision: Decided[RatingVerdict]


def judge(
    submission: Submission,
    targets: Sequence[RatedCase],
    rater: Rater,
    engine: Engine,
    now: datetime,
    regions: frozenset[int] | None,
) -> Judged | RatingRefusal:
    """Whether `submission` by `rater` on `targets` (the cases it names) is accepted at `now`:
    who may rate, the policy's scope, then level, reasons, window and history."""
    problem = who_and_when(targets, rater, now, regions)
    if problem is not None:
        return problem
    anchor = targets[0]
    scope = engine.scope(
        submission.target,
        in_batch=anchor.batch_id is not None,
        in_integrated_service=anchor.service_id is not None,
    )
    if scope.value.code:
        return rejected(scope.value.code)
    decision = engine.rating(
        RatingFacts(
            level=submission.level,
            channel=submission.channel.value,
            tags=submission.tags,
            comment=submission.comment or "",
            # A follow-up (追评) rates the fix: its window runs from when the fix was
            # reported, and it is a new rating of it, not a change of the first.
            completed_at=anchor.follow_up_since or anchor.completed_at,
            rated_at=now,
            prior=Prior.NONE if anchor.follow_up_since else _prior(anchor, rater, engine, now),
        )
    )
    judged = decision.value
    if not judged.accepted or judged.meaning is None:
        return rejected(judged.code or "INVALID_LEVEL")
    return Judged(anchor, scope, decision)


def _prior(case: RatedCase, rater: Rater, engine: Engine, now: datetime) -> Prior:
    """What the case already has (see services.ratings.prior)."""
    return prior(
        engine,
        RatingStatus(case.rating_status),
        case.completed_at,
        now,
        own=rater.on_behalf and own_rating(case),
    )


def precheck(submission: Submission, rater: Rater) -> RatingRefusal | None:
    """What is wrong with the submission before any case is read."""
    if not rater.may_rate_on(submission.channel):
        return rejected("NOT_RATER")
    if submission.comment and len(submission.comment) > MAX_TEXT:
        return rejected("TOO_LONG")
    if rater.on_behalf and not rater.staff_code:
        return rejected("STAFF_CODE_REQUIRED")
    return None


def who_and_when(
    targets: Sequence[RatedCase], rater: Rater, now: datetime, regions: frozenset[int] | None
) -> RatingRefusal | None:
    """Cases that are not the rater's to rate answer as if they did not exist (no one can
    learn which case numbers are real, nor whether they are completed); the staff member who
    handled a case, who can see it, is told plainly. `regions`: those a hotline operator
    covers."""
    if not targets:
        return rejected("NOT_FOUND")
    if not all(may_see(case, rater, regions) for case in targets):
        return rejected("NOT_FOUND")
    for case in targets:
        if rater.role == "pad" and not _pad_may_rate(case, rater, now):
            return rejected("NOT_RATER")
        if rater.staff_code is not None and rater.staff_code == normalise_staff_code(
            case.staff_code
        ):
            return rejected("NOT_RATER")
        if case.completed_at is None:
            return rejected("CASE_NOT_COMPLETED")
    return None


def may_see(case: RatedCase, rater: Rater, regions: frozenset[int] | None) -> bool:
    if rater.role == "citizen":
        return rater.applicant_hash == case.applicant_hash
    if rater.role == "sms":
        return rater.phone_hash is not None and rater.phone_hash == case.phone_hash
    if rater.role == "pad":
        return rater.pad_window_code is not None and rater.pad_window_code == case.window_code
    if rater.role == "hotline_operator":
        return regions is not None and case.region_id in regions
    if rater.on_behalf:
        return case.department_code == rater.department_code or (
            rater.hall_code is not None and rater.hall_code == case.hall_code
        )
    return False


def _pad_may_rate(case: RatedCase, rater: Rater, now: datetime) -> bool:
    return pad_may_rate(
        case_window=case.window_code,
        completed_at=case.completed_at,
        pad_window=rater.pad_window_code,
        within=rater.pad_rating_window or timedelta(0),
        now=now,
    )


def own_rating(case: RatedCase) -> bool:
    """The case's effective rating is one the applicant gave themselves."""
    return case.effective_rater_role in OWN_ROLES
