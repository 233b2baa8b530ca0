"""Rating a case, a batch or a one-thing service: who may, what the policy says it means,
which cases it applies to, and which rating is now effective on each.

Every policy question goes to the rules engine (level, tags and reason, the late-rating
window, what a second rating does, scope, the anti-abuse limits); this module finds the
cases, checks who is asking, counts the attempt, and writes the outcome in one transaction
with the cases locked. Every channel (GraphQL, the SMS reply, the pad) comes through here.

Order of work: replay a finished answer; read the cases without a lock and refuse what is
not the rater's to rate; count the attempt (Redis, never inside a transaction); then one
transaction that claims the request id, locks the cases, takes the time and writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models.db import (
    connection,
)
from models.stores.rating_cases import RatedCase, regions_below, target_cases
from models.stores.rating_writes import (
    claim_request,
    keep_answer,
    plan_generically,
    release_request,
    stored_answer,
)
from rules import AppliesTo, Decided, Engine, Limits, Prior, Reach
from services.abuse import Counters, Verdict, check_misses, check_rating
from services.raters import Rater
from services.rating_access import judge, precheck, who_and_when
from services.rating_results import (
    RatingRefusal,
    Result,
    Submission,
    dumped,
    loaded,
    rejected,
)
from services.rating_write import write_rating

# An answer that can change later is not kept for the request id: a retry asks again.
_TRANSIENT = frozenset({"RATE_LIMITED", "NOT_FOUND", "CASE_NOT_COMPLETED"})


async def submit_rating(
    submission: Submission,
    rater: Rater,
    *,
    engine: Engine,
    clock: Callable[[], datetime],
    counters: Counters,
    device: str | None = None,
) -> Result:
    """Rate as `rater`. `device` is a device the server recognises (a signed browser id),
    or None; a pad is its own device."""
    refused = precheck(submission, rater)
    if refused is not None:
        return refused
    answer = (rater.key, submission.client_request_id) if submission.client_request_id else None
    if answer is not None:
        replay = loaded(await stored_answer(connection(), *answer))
        if replay is not None:
            return replay
    limits = engine.abuse()
    now = clock()
    found = await target_cases(connection(), submission.target, submission.number, lock=False)
    targets = _targets(submission, found)
    regions = await regions_below(rater.region_code) if rater.role == "hotline_operator" else None
    problem = who_and_when(targets, rater, now, regions)
    if problem is not None:
        # A case that is not there and one that is someone else's answer alike; the
        # attempts are counted so case numbers cannot be tried at will.
        if problem.code == "NOT_FOUND" and await check_misses(
            counters, limits, rater=rater.key, now=now
        ):
            return rejected("RATE_LIMITED")
        return problem
    verdict = await _count(counters, limits, rater, targets[0], device, now)
    if verdict.refused_by is not None:
        return rejected("RATE_LIMITED")
    try:
        result = await _transaction(
            _Attempt(submission, rater, engine, clock, answer, verdict, regions)
        )
    except BaseException:
        await counters.release(verdict.counted)  # nothing was stored (UNAVAILABLE, a bug)
        raise
    if isinstance(result, RatingRefusal):
        await counters.release(verdict.counted)
    return result


@dataclass(frozen=True)
class _Attempt:
    """One rating on its way into the transaction: what, by whom, under which policy, with
    which request id, counted how, and (a hotline operator) the regions its rater covers."""

    submission: Submission
    rater: Rater
    engine: Engine
    clock: Callable[[], datetime]
    answer: tuple[str, str] | None
    verdict: Verdict
    regions: frozenset[int] | None


async def _transaction(attempt: _Attempt) -> Result:
    """Claim the request id, lock the cases, decide, write; the answer kept when final."""
    answer = attempt.answer
    async with in_transaction() as conn:
        await plan_generically(conn)
        if answer and not await claim_request(conn, *answer, attempt.clock()):
            replay = loaded(await stored_answer(conn, *answer))
            if replay is not None:
                return replay
        result, answered = await _decide_and_write(conn, attempt)
        if answer and not answered:
            if isinstance(result, RatingRefusal) and result.code in _TRANSIENT:
                await release_request(conn, *answer)
            else:
                await keep_answer(conn, *answer, dumped(result))
        return result


async def _count(
    counters: Counters,
    limits: Decided[Limits],
    rater: Rater,
    anchor: RatedCase,
    device: str | None,
    now: datetime,
) -> Verdict:
    """Count the rating against the policy's limits. A rating counts for the applicant it
    represents, whoever enters it; the operator or pad entering it has a limit of its own;
    a device is only one the server recognises; the burst hold is for one browser rating
    for many people (a pad rates for everyone at its window, an operator for every caller)."""
    own_browser = rater.role == "citizen" and device is not None
    applicant = f"citizen:{anchor.applicant_hash}"
    return await check_rating(
        counters,
        limits,
        # Entries on the applicant's behalf have a count of their own, so that staff cannot
        # use up the applicant's own allowance.
        rater=f"behalf:{applicant}" if rater.on_behalf else applicant,
        operator=rater.key if rater.on_behalf or rater.role == "pad" else None,
        device=rater.key if rater.role == "pad" else device if own_browser else None,
        window=anchor.window_code,
        hold_bursts=own_browser,
        now=now,
    )


def _targets(submission: Submission, found: list[RatedCase]) -> list[RatedCase]:
    if submission.target == "case":
        return [c for c in found if c.case_no == submission.number]
    return found


async def _decide_and_write(conn: BaseDBAsyncClient, attempt: _Attempt) -> tuple[Result, bool]:
    """The result, and whether the idempotency answer was written with it."""
    submission, rater, engine, clock = (
        attempt.submission,
        attempt.rater,
        attempt.engine,
        attempt.clock,
    )
    answer, verdict, regions = attempt.answer, attempt.verdict, attempt.regions
    found = await target_cases(conn, submission.target, submission.number, lock=True)
    # The time is taken once the cases are locked, so "latest" is the order in which the
    # lock admits ratings; never before a rating already stored (clocks of other hosts).
    now = _after(clock(), found)
    targets = _targets(submission, found)
    judged = judge(submission, targets, rater, engine, now, regions)
    if isinstance(judged, RatingRefusal):
        return judged, False
    anchor, scope, decision = judged.anchor, judged.scope, judged.decision
    cases = _applies_to(submission, found, targets, anchor, scope.value)
    own_stands = rater.on_behalf and not _displaces_own(engine)
    fired = list(dict.fromkeys([*scope.fired, *decision.fired, *verdict.rules]))
    return await write_rating(
        conn,
        submission,
        rater,
        cases,
        decision,
        scope.value,
        fired,
        now,
        answer,
        held=verdict.hold,
        own_stands=own_stands,
        engine=engine,
    )


def _after(now: datetime, cases: Sequence[RatedCase]) -> datetime:
    stored = [c.last_rated_at for c in cases if c.last_rated_at is not None]
    latest = max(stored, default=None)
    if latest is not None and latest >= now:
        return latest + timedelta(microseconds=1)
    return now


def _displaces_own(engine: Engine) -> bool:
    """Whether a rating entered on the applicant's behalf displaces their own (rules.yaml
    rating.on_behalf)."""
    return engine.history(Prior.OWN_RATING).value.supersedes


def _applies_to(
    submission: Submission,
    found: list[RatedCase],
    targets: list[RatedCase],
    anchor: RatedCase,
    scope: Reach,
) -> list[RatedCase]:
    if (
        scope.applies_to is AppliesTo.BATCH
        and submission.target == "case"
        and anchor.batch_id is not None
    ):
        return [c for c in found if c.batch_id == anchor.batch_id]
    return targets
