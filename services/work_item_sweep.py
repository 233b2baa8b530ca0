"""The overdue sweep of the bad-rating loop: what a passed deadline does, step by step, as
the policy says (`when_overdue`), set-based and in batches, idempotently.

- An optional step (the appeal) not taken in time is passed: the item moves on (with
  deem_confirmed the timeline records that the bad rating stands).
- The follow-up rating not given in time goes to the admin's full review when the policy
  says `review` and has the step; otherwise the item closes, NO_FOLLOW_UP.
- Any other step is marked overdue; with `escalate` (the default) also escalated: the area
  admin's worklist shows it first and it is theirs to chase.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from models.db import connection
from models.enums import WorkItemCloseReason
from models.stores import sweep as sweep_store
from models.stores import work_items as store
from models.stores.work_items import Event, Passed
from rules import Engine, Loop, StepRule, WhenOverdue
from services import workflow
from services.batches import in_transactions, run_in_batches
from services.work_items import SYSTEM, due_at
from services.workflow import FOLLOW_UP_RATING, FOLLOW_UP_REVIEW, Move


@dataclass(frozen=True)
class OverdueReport:
    marked: int = 0  # marked overdue (escalated or not)
    moved: int = 0  # passed on to the next step, or closed


def _passed(engine: Engine, loop: Loop, rule: StepRule, at: datetime) -> Passed:
    outcome = rule.when_overdue.value.upper()
    event = Event(*SYSTEM, "deadline_passed", rule.step, outcome)
    if rule.step == FOLLOW_UP_RATING:
        none = Move(None, WorkItemCloseReason.NO_FOLLOW_UP)
        review = rule.when_overdue is WhenOverdue.REVIEW
        move = workflow.into(loop, FOLLOW_UP_REVIEW, none) if review else none
    elif rule.optional:
        move = workflow.after(loop, rule.step, 0)
    else:
        escalate = rule.when_overdue is WhenOverdue.ESCALATE
        return Passed(rule.step, at, event, escalate=escalate)
    return Passed(
        rule.step,
        at,
        event,
        moves=True,
        to_step=move.step,
        due_at=due_at(engine, move.step, at),
        reason=move.reason,
        confirms=move.step == workflow.RECTIFICATION,
    )


async def sweep_overdue(
    *,
    engine: Engine,
    now: datetime,
    batch_size: int,
    loops: int,
    stop: asyncio.Event | None = None,
) -> OverdueReport:
    at = now.astimezone(UTC)
    loop = engine.loop()
    loops = sweep_store.parallel_loops(connection(), loops)
    marked = moved = 0
    for rule in loop.steps:
        if rule.within is None:
            continue
        passed = _passed(engine, loop, rule, at)

        async def batch(conn: BaseDBAsyncClient, passed: Passed = passed) -> int:
            return await store.overdue_batch(conn, at, batch_size, passed)

        done = await run_in_batches(in_transactions(batch), loops=loops, stop=stop)
        if passed.moves:
            moved += done
        else:
            marked += done
    return OverdueReport(marked=marked, moved=moved)
