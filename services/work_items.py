"""The bad-rating loop's work items (差评工单): opened, followed and closed by ratings, and
read by the staff who work them.

A bad rating that becomes a case's effective rating opens a work item for the unit that
handled the case (谁办理谁负责), at the first step of the policy's loop with that step's due
time. After every accepted rating, `settle_work_items` brings the items of its cases in line:
a case whose effective rating is no longer bad closes its item; at the follow-up step, the
rater's new rating is the follow-up (good closes the item; bad goes to the admin's review,
when the policy has one). Staff actions are in services.work_item_actions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from models.db import as_utc
from models.enums import WorkItemCloseReason, WorkItemStatus
from models.stores import work_items as store
from models.stores.scope import Reach, Scope
from models.stores.work_items import Event, Filter
from rules import Category, Engine
from services import workflow
from services.cases import Named
from services.identity import Principal, Role
from services.paging import check_first, decode_cursor, encode_cursor, row_id, split_page
from services.workflow import FOLLOW_UP_RATING, FOLLOW_UP_REVIEW, Move

__all__ = ["Filter", "WorkItemPage", "WorkItemView", "settle_work_items", "work_item", "work_items"]

SYSTEM = ("system", "hcp")
_CURSOR = "work-items"


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor_role: str
    actor: str
    action: str
    step: str | None
    outcome: str | None
    note: str | None
    evidence_ids: tuple[int, ...]


@dataclass(frozen=True)
class WorkItemView:
    id: int
    case_no: str
    matter_name: str
    department: Named
    region_code: str | None
    rated_staff: Named | None
    status: WorkItemStatus
    step: str | None
    step_title: str | None
    actor: str | None
    evidence_required: bool
    due_at: datetime | None
    overdue: bool
    escalated: bool
    opened_at: datetime
    closed_at: datetime | None
    close_reason: WorkItemCloseReason | None
    level: int
    level_label: str
    tag_labels: tuple[str, ...]
    comment: str | None
    rated_at: datetime
    appeal_upheld: str | None


@dataclass(frozen=True)
class WorkItemPage:
    nodes: list[WorkItemView]
    has_next_page: bool
    end_cursor: str | None


async def settle_work_items(
    conn: BaseDBAsyncClient, act_id: str, now: datetime, engine: Engine
) -> None:
    """After a rating act, in its transaction: open, close or follow the work items of its
    cases (see the module's docstring). Idempotent."""
    rows = await store.settling(conn, act_id, Category.BAD.value)
    if not rows:
        return
    at = now.astimezone(UTC)
    loop = engine.loop()
    new = [row for row in rows if row["item_id"] is None]
    if new:
        step = workflow.first(loop)
        due = due_at(engine, step, at)
        await store.open_items(conn, new, step, due, at, Event(*SYSTEM, "opened", step))
    for row in rows:
        if row["item_id"] is not None:
            await _follow(conn, engine, row, at)


async def _follow(
    conn: BaseDBAsyncClient, engine: Engine, row: dict[str, Any], at: datetime
) -> None:
    item_id, step, bad = int(row["item_id"]), row["step"], bool(row["bad"])
    if step == FOLLOW_UP_RATING:
        # The rater rated the fix: good ends the loop; bad goes to the admin's review.
        loop = engine.loop()
        otherwise = Move(None, WorkItemCloseReason.FOLLOW_UP_BAD)
        move = (
            workflow.into(loop, FOLLOW_UP_REVIEW, otherwise)
            if bad
            else Move(None, WorkItemCloseReason.FOLLOW_UP_GOOD)
        )
        event = Event("rater", "", "follow_up_rated", step, "BAD" if bad else "GOOD")
    elif not bad:
        move = Move(None, WorkItemCloseReason.RATING_CHANGED)
        event = Event(*SYSTEM, "rating_changed", step)
    else:
        await store.follow_rating(conn, item_id, int(row["rating_id"]))
        await store.add_events(conn, [item_id], at, Event(*SYSTEM, "rating_replaced", step))
        return
    if bad:
        await store.follow_rating(conn, item_id, int(row["rating_id"]))
    await move_item(conn, engine, item_id, step, move, at, event)


def due_at(engine: Engine, step: str | None, at: datetime) -> datetime | None:
    """When `step`, begun at `at`, is due under the policy (None: no deadline)."""
    if not step:
        return None
    due = engine.deadline(step, at).value
    return due.due.astimezone(UTC) if due is not None else None


async def move_item(
    conn: BaseDBAsyncClient,
    engine: Engine,
    item_id: int,
    from_step: str,
    move: Move,
    at: datetime,
    event: Event,
    *,
    fixed: bool = False,
) -> bool:
    """The item goes from `from_step` as `move` says, with `event` on its timeline; False,
    and nothing written, when someone moved it first. The bad rating is confirmed when the
    item reaches rectification or the unit reports a fix (`fixed`), whichever is first."""
    due = due_at(engine, move.step, at)
    confirms = fixed or move.step == workflow.RECTIFICATION
    moved = await store.advance(
        conn, item_id, from_step, move.step, due, at, move.reason, confirms=confirms
    )
    if not moved:
        return False
    await store.add_events(conn, [item_id], at, event)
    return True


def item_scope(viewer: Principal) -> Scope:
    """The items a viewer may see: staff their department's, admins their region's."""
    if viewer.role in (Role.WINDOW_STAFF, Role.DEPT_HANDLER):
        return Scope(Reach.DEPARTMENT, viewer.department_code)
    if viewer.role is Role.AREA_ADMIN:
        return Scope(Reach.REGION, viewer.region_code)
    return Scope(Reach.NONE)


async def work_items(
    *, viewer: Principal, engine: Engine, chosen: Filter, first: int, after: str | None
) -> WorkItemPage:
    """A page of the items the viewer may see, the soonest due (so the overdue) first."""
    check_first(first)
    keyset = decode_cursor(after, _CURSOR, _optional_moment, row_id) if after else None
    rows = await store.page(item_scope(viewer), chosen, keyset, first + 1)
    page, more = split_page(rows, first)
    nodes = [view(row, engine) for row in page]
    end = None
    if nodes:
        last = nodes[-1]
        end = encode_cursor(_CURSOR, last.due_at.isoformat() if last.due_at else "", last.id)
    return WorkItemPage(nodes=nodes, has_next_page=more, end_cursor=end)


async def work_item(*, viewer: Principal, engine: Engine, item_id: int) -> WorkItemView | None:
    """The item, or None when it does not exist or the viewer may not see it."""
    row = await store.item(None, item_id, item_scope(viewer))
    return view(row, engine) if row else None


def _optional_moment(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


async def timeline(item_id: int) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            at=_at(row["at"]),
            actor_role=row["actor_role"],
            actor=row["actor_subject"],
            action=row["action"],
            step=row["step"],
            outcome=row["outcome"],
            note=row["note"],
            evidence_ids=tuple(json.loads(row["evidence_ids"] or "[]")),
        )
        for row in await store.timeline(item_id)
    ]


def view(row: dict[str, Any], engine: Engine) -> WorkItemView:
    step = row["step"] or None
    rule = engine.workflow_step(step).value if step else None
    level = engine.level(int(row["level"])).value
    labels = {tag.code: tag.label for tag in level.tags} if level else {}
    status = WorkItemStatus(row["status"])
    return WorkItemView(
        id=int(row["id"]),
        case_no=row["case_no"],
        matter_name=row["matter_name"],
        department=Named(row["department_code"], row["department_name"]),
        region_code=row["region_code"],
        rated_staff=(
            Named(row["rated_staff_code"], row["rated_staff_name"])
            if row["rated_staff_code"]
            else None
        ),
        status=status,
        step=step if status is WorkItemStatus.OPEN else None,
        step_title=rule.title if rule and status is WorkItemStatus.OPEN else None,
        actor=rule.actor if rule and status is WorkItemStatus.OPEN else None,
        evidence_required=bool(rule and rule.evidence),
        due_at=as_utc(row["due_at"]),
        overdue=bool(row["overdue"]),
        escalated=bool(row["escalated"]),
        opened_at=_at(row["opened_at"]),
        closed_at=as_utc(row["closed_at"]),
        close_reason=WorkItemCloseReason(row["close_reason"]) if row["close_reason"] else None,
        level=int(row["level"]),
        level_label=level.label if level else str(row["level"]),
        tag_labels=tuple(labels.get(code, code) for code in json.loads(row["tags"] or "[]")),
        comment=row["comment"],
        rated_at=_at(row["rated_at"]),
        appeal_upheld=row["appeal_upheld"],
    )


def _at(value: Any) -> datetime:
    moment = as_utc(value)
    assert moment is not None  # NOT NULL column
    return moment
