"""May this rater rate these cases now? And is a case's effective rating the applicant's
own? The answers every channel gets (services.submit_rating asks them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from models.stores.rating_cases import RatedCase
from services.pads import pad_may_rate
from services.raters import OWN_ROLES, Rater, normalise_staff_code
from services.rating_results import RatingRefusal, rejected


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
