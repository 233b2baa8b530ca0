"""Writing an accepted rating: which of its cases it becomes the rating of, the rows, the
stored answer, and the work items a 差评 opens or closes."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from models.stores.rating_cases import RatedCase
from models.stores.rating_writes import write_ratings
from rules import Decided, Engine, RatingVerdict, Reach, WhenBoth
from services.raters import Rater
from services.rating_access import own_rating
from services.rating_results import (
    EFFECTIVE,
    HELD,
    RECORDED,
    Accepted,
    StoredRating,
    Submission,
    dumped,
)
from services.work_items import settle_work_items


async def write_rating(
    conn: BaseDBAsyncClient,
    submission: Submission,
    rater: Rater,
    cases: list[RatedCase],
    decision: Decided[RatingVerdict],
    scope: Reach,
    fired: list[str],
    now: datetime,
    answer: tuple[str, str] | None,
    *,
    held: bool,
    own_stands: bool,
    engine: Engine,
) -> tuple[Accepted, bool]:
    """Store the accepted rating on `cases` and make it their rating where it counts.
    `held`: the anti-abuse check holds this rating for review: stored, not counted.
    `own_stands`: an entry on the applicant's behalf leaves their own rating effective."""
    act_id = str(uuid.uuid4())
    rated_at = now.astimezone(UTC)
    meaning = decision.value.meaning
    assert meaning is not None  # accepted: the level is the policy's
    category = meaning.category.value
    effective = [
        _becomes_effective(submission, case, scope)
        and not held
        and not (own_stands and own_rating(case))
        for case in cases
    ]
    rows = [
        [
            case.id,
            act_id,
            submission.target,
            submission.level,
            category,
            json.dumps(list(submission.tags)),
            submission.comment or None,
            submission.channel.value,
            rater.role,
            rater.key,
            rated_at,
            counts,
            held or decision.value.held_for_review,
            decision.version,
            json.dumps(fired),
        ]
        for case, counts in zip(cases, effective, strict=True)
    ]
    stored = StoredRating(
        id=0,  # filled in below from the database
        level=submission.level,
        category=category,
        tags=list(submission.tags),
        comment=submission.comment or None,
        channel=submission.channel.value,
        rated_at=rated_at.isoformat(),
    )
    status = HELD if held else EFFECTIVE if any(effective) else RECORDED
    accepted = Accepted(stored, [c.case_no for c in cases], decision.version, fired, status)
    first_id, answered = await write_ratings(conn, act_id, rows, answer, dumped(accepted))
    if any(effective):
        # 差评 opens a work item; a case whose effective rating stops being bad closes its own.
        await settle_work_items(conn, act_id, now, engine)
    return _with_id(accepted, first_id), answered


def _with_id(accepted: Accepted, rating_id: int) -> Accepted:
    return replace(accepted, rating=replace(accepted.rating, id=rating_id))


def _becomes_effective(submission: Submission, case: RatedCase, scope: Reach) -> bool:
    """A one-thing rating does not displace a member's own rating where members win."""
    return not (
        submission.target == "integrated_service"
        and scope.when_both is WhenBoth.MEMBER_WINS
        and case.effective_target == "case"
    )
