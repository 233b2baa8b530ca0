"""The deadline sweep: default ratings, expired rating windows and reminders (an SMS, or a
call for the case's department to make), as of `now`.

One `cutoffs` decision turns the policy's durations into bounds on `completed_at` (working
days included): a case completed before a bound is due (services.sweep_plan). The rest is
set-based SQL over the due cases (models.stores.sweep), in batches that are each one short
transaction (services.batches). A pass is idempotent: what it writes takes the cases out of
what it selects.

The policy's `reminder.via` is an ordered list: the first channel is how the reminder goes,
a second is the fallback when the first could not reach the person. So with [SMS, CALL] a
case whose reminder SMS was given up (FAILED) gets a reminder call; with [CALL] the due
cases get one at once. A call still open when it is no longer needed (the case was rated,
defaulted or expired, or fell out of the reminder period) is cancelled.

No reminder SMS is queued during the policy's quiet hours (`reminder.quiet_hours`): the
cases stay due, and the first pass after the quiet hours queues them, judged and worded as
of then (a case rated overnight gets none). Calls are a worklist for the department's
staff, not a message to a phone at night: they are opened at any hour. The template's
`{reply}` is the policy's reply hint when SMS replies reach the service (`replies`), and
nothing otherwise: a reminder never asks for a reply that goes nowhere.

A case whose rating is held for review (the anti-abuse burst hold, services.abuse) stays
unrated, but its applicant did rate: it gets no reminder, no default and does not expire;
a reminder call opened before is cancelled. It waits for the review, which is to decide
whether the held rating counts; there is no review workflow yet, so until there is such a
case stays unrated.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient

from models.db import connection
from models.stores import sweep as store
from rules import Engine
from services.batches import in_transactions, run_in_batches
from services.stats_refresh import refresh_batch
from services.sweep_plan import Plan
from services.sweep_plan import plans as make_plans
from services.work_item_sweep import sweep_overdue

# Large enough that a backlog of a million cases is a few hundred round trips, small
# enough that a citizen rating a case of the batch waits a fraction of a second for it.
DEFAULT_BATCH_SIZE = 5000
# Batch loops per step on PostgreSQL. SKIP LOCKED keeps them apart, and two take about a
# fifth less time over a backlog than one (a million cases: 58 s -> 45 s on two cores).
# SQLite runs one writer at a time, so there it is always one.
DEFAULT_PARALLEL = 2
DEFAULT_LINK_BASE = "https://hcp.example/m/?case="
REMINDER_PURPOSE = store.REMINDER_PURPOSE
# How long after it fell due a reminder may still be sent when the policy has no
# late-rating window to bound it (with a window: while the window is open). An operations
# limit, not policy: a worker that was down, or a first sweep over years of history, must
# not text people about services they received long ago.
REMINDER_CATCH_UP = timedelta(days=7)


@dataclass(frozen=True)
class SweepReport:
    reminders_queued: int = 0  # every reminder: the SMS and the calls
    defaults_applied: int = 0
    expired: int = 0
    reminder_calls_queued: int = 0
    reminder_calls_cancelled: int = 0
    work_items_overdue: int = 0  # work items marked overdue (escalated or not)
    work_items_moved_on: int = 0  # past a step not taken in time (appeal, follow-up)
    statistics_cells_recounted: int = 0  # cells of the statistics the writes marked


async def sweep(
    *,
    engine: Engine,
    now: datetime,
    batch_size: int = DEFAULT_BATCH_SIZE,
    link_base: str = DEFAULT_LINK_BASE,
    reminder_catch_up: timedelta = REMINDER_CATCH_UP,
    parallel: int = DEFAULT_PARALLEL,
    stop: asyncio.Event | None = None,
    replies: bool = False,
) -> SweepReport:
    """One pass as of `now`: defaults, then expiry, then reminders (SMS, calls), then the
    calls no longer needed are cancelled, then the bad-rating work items whose step is
    overdue (services.work_item_sweep), then the statistics' marked cells are recounted.
    `stop` ends the pass between batches; the next pass carries on where it stopped.
    `replies`: SMS replies reach the service, so the reminder may ask for one."""
    if now.tzinfo is None:
        raise ValueError("now needs a UTC offset")
    if batch_size < 1 or parallel < 1:
        raise ValueError("batch_size and parallel must be at least 1")
    loops = store.parallel_loops(connection(), parallel)
    at = now.astimezone(UTC)
    done = _Done()

    async def batches(step: Callable[[BaseDBAsyncClient], Awaitable[int]]) -> int:
        return await run_in_batches(in_transactions(step), loops=loops, stop=stop)

    # Oldest era first: its cases fell due first.
    for plan in reversed(make_plans(engine, now, reminder_catch_up)):
        await _sweep_era(
            plan, done, batches, at=at, size=batch_size, link=link_base, replies=replies
        )
    overdue = await sweep_overdue(
        engine=engine, now=now, batch_size=batch_size, loops=loops, stop=stop
    )
    # Last, so that the figures count what this pass changed.
    recounted = await batches(refresh_batch)
    return SweepReport(
        statistics_cells_recounted=recounted,
        work_items_overdue=overdue.marked,
        work_items_moved_on=overdue.moved,
        reminders_queued=done.texts + done.calls,
        defaults_applied=done.defaults,
        expired=done.expired,
        reminder_calls_queued=done.calls,
        reminder_calls_cancelled=done.cancelled,
    )


@dataclass
class _Done:
    defaults: int = 0
    expired: int = 0
    texts: int = 0
    calls: int = 0
    cancelled: int = 0


async def _sweep_era(
    plan: Plan,
    done: _Done,
    batches: Callable[[Callable[[BaseDBAsyncClient], Awaitable[int]]], Awaitable[int]],
    *,
    at: datetime,
    size: int,
    link: str,
    replies: bool,
) -> None:
    """The pass over the cases of one era (services.sweep_plan.plans): defaults, then
    expiry, then reminders (SMS, calls), then the calls no longer needed are cancelled."""
    if plan.default is not None:
        due = plan.default
        default = store.Defaults(
            act_id=str(uuid.uuid4()),
            version=plan.version,
            due_before=due.due_before,
            level=due.level,
            category=due.category,
            fired=due.fired,
            since=plan.since,
        )
        done.defaults += await batches(
            lambda conn: store.default_batch(conn, at, size, default=default)
        )
    if plan.expire_before is not None:
        before = plan.expire_before
        done.expired += await batches(
            lambda conn: store.expire_batch(conn, at, size, before=before, since=plan.since)
        )
    if plan.reminder is not None:
        reminder = plan.reminder
        reminders = store.Reminders(
            since=reminder.since,
            due_before=reminder.due_before,
            template=reminder.template,
            link_base=link,
            reply=reminder.reply_hint if replies else "",
        )
        if reminder.texts_now:
            done.texts += await batches(
                lambda conn: store.reminder_batch(conn, at, size, reminder=reminders)
            )
        if reminder.calls_first:
            done.calls += await batches(
                lambda conn: store.due_call_batch(conn, at, size, reminder=reminders)
            )
        if reminder.calls_unreached:
            done.calls += await batches(
                lambda conn: store.unreached_call_batch(conn, at, size, reminder=reminders)
            )
    since = plan.reminder.since if plan.reminder is not None else None
    done.cancelled += await batches(
        lambda conn: store.cancel_call_batch(conn, at, size, since=since, era_start=plan.since)
    )
