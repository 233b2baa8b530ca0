"""Staff acting on the step in front of a work item: record the callback, file and decide
an appeal, submit and review the fix, spot-check a closed item.

Who may act, with what, and until when is the policy's (`engine.loop()`); each action is
checked, then written as one UPDATE guarded by the step it leaves plus its timeline entry,
in one transaction. Of two people acting at once, one succeeds and the other is told
WRONG_STEP, and the timeline has one entry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from models.db import as_utc
from models.enums import WorkItemCloseReason, WorkItemStatus
from models.stores import evidence as evidence_store
from models.stores import work_items as store
from models.stores.work_items import Event
from rules import Engine, Loop
from services import workflow
from services.identity import Principal
from services.work_items import WorkItemView, item_scope, move_item, view
from services.workflow import Move

TEXT_MIN, TEXT_MAX = 2, 1000

ACTION_REFUSALS = {
    "NOT_FOUND": "没有找到这件差评工单，或无权查看",
    "WRONG_STEP": "工单已不在这一步（可能已由他人办理），请刷新后查看",
    "DEADLINE_PASSED": "这一步的办理期限已过，不能再办理",
    "NOT_YOURS": "这一步不由您办理",
    "EVIDENCE_REQUIRED": "这一步须附上佐证材料（照片或 PDF）",
    "EVIDENCE_NOT_FOUND": "佐证材料不存在、不是您上传的，或已用于其他工单",
    "TEXT_REQUIRED": f"请填写说明（{TEXT_MIN}-{TEXT_MAX} 字）",
}


@dataclass(frozen=True)
class ActionRefusal:
    code: str
    message: str


# Where an action takes the item: from the loop, the item's id and the step it is at.
Transition = Callable[[Loop, int, str], Move]


@dataclass(frozen=True)
class Action:
    """`steps`: where it may be taken; the rule (actor, evidence, deadline) of the step the
    item is at applies. `skips_optional`: it may also be taken while the item waits at an
    optional step (a fix submitted without appealing); then the first of `steps` rules.
    `text`: what the actor wrote (required when `text_required`); `outcome`: what it came
    to, for the timeline."""

    name: str
    steps: tuple[str, ...]
    transition: Transition
    outcome: str | None = None
    text: str = ""
    text_required: bool = True
    evidence_ids: tuple[int, ...] = ()
    skips_optional: bool = False
    upheld: bool = False


def record_callback(outcome: str, note: str) -> Action:
    return Action(
        "callback_recorded",
        (workflow.CALLBACK,),
        lambda loop, i, step: workflow.after(loop, step, i),
        outcome,
        note,
        text_required=False,
    )


def file_appeal(reason: str, evidence_ids: tuple[int, ...]) -> Action:
    def to_review(loop: Loop, i: int, step: str) -> Move:
        return workflow.into(loop, workflow.APPEAL_REVIEW, workflow.after(loop, step, i))

    return Action("appeal_filed", (workflow.APPEAL,), to_review, None, reason, True, evidence_ids)


def decide_appeal(upheld: bool, finding: str, note: str) -> Action:
    def decided(loop: Loop, i: int, step: str) -> Move:
        if upheld:
            return Move(None, WorkItemCloseReason.APPEAL_UPHELD)
        return workflow.after(loop, step, i)

    outcome = finding if upheld else "REJECTED"
    steps = (workflow.APPEAL_REVIEW,)
    return Action("appeal_decided", steps, decided, outcome, note, upheld=upheld)


def submit_rectification(measures: str, evidence_ids: tuple[int, ...]) -> Action:
    return Action(
        "rectification_submitted",
        (workflow.RECTIFICATION,),
        lambda loop, i, _step: workflow.after(loop, workflow.RECTIFICATION, i),
        None,
        measures,
        True,
        evidence_ids,
        skips_optional=True,
    )


def review_rectification(accepted: bool, note: str) -> Action:
    """At rectification_review, or at follow_up_review (after a bad or missing follow-up)."""
    steps = (workflow.RECTIFICATION_REVIEW, workflow.FOLLOW_UP_REVIEW)
    return _review("rectification_reviewed", steps, accepted, note)


def spot_check(passed: bool, note: str) -> Action:
    return _review("spot_checked", (workflow.SPOT_CHECK,), passed, note)


def _review(name: str, steps: tuple[str, ...], accepted: bool, note: str) -> Action:
    """A fix found wanting goes back to rectification (with none in the loop, it closes)."""

    def reviewed(loop: Loop, i: int, step: str) -> Move:
        if accepted:
            return workflow.after(loop, step, i)
        return workflow.into(loop, workflow.RECTIFICATION, Move(None, WorkItemCloseReason.RESOLVED))

    outcome = "ACCEPTED" if accepted else "RETURNED"
    return Action(name, steps, reviewed, outcome, note, text_required=not accepted)


async def act(
    *, item_id: int, action: Action, viewer: Principal, engine: Engine, now: datetime
) -> WorkItemView | ActionRefusal:
    """Take `action` on the item for `viewer` (see the module's docstring)."""
    at = now.astimezone(UTC)
    loop = engine.loop()
    scope = item_scope(viewer)
    async with in_transaction() as conn:
        row = await store.item(conn, item_id, scope)
        code = _refusal(row, action, viewer, loop, at)
        if code is None and action.evidence_ids:
            claimable = await evidence_store.claimable(conn, action.evidence_ids, viewer.subject)
            code = None if claimable == len(set(action.evidence_ids)) else "EVIDENCE_NOT_FOUND"
        if code is not None:
            return ActionRefusal(code, ACTION_REFUSALS[code])
        assert row is not None
        event = Event(
            viewer.role.value,
            viewer.subject,
            action.name,
            row["step"],
            action.outcome,
            action.text.strip() or None,
            tuple(sorted(set(action.evidence_ids))),
        )
        move = action.transition(loop, item_id, row["step"])
        fixed = workflow.RECTIFICATION in action.steps
        if not await move_item(conn, engine, item_id, row["step"], move, at, event, fixed=fixed):
            return ActionRefusal("WRONG_STEP", ACTION_REFUSALS["WRONG_STEP"])
        await evidence_store.attach(conn, action.evidence_ids, item_id)
        if action.upheld and loop.appeal_upheld is not None:
            await store.set_rating_upheld(conn, int(row["rating_id"]), loop.appeal_upheld.value)
        after = await store.item(conn, item_id, scope)
    assert after is not None
    return view(after, engine)


def _refusal(
    row: dict[str, Any] | None, action: Action, viewer: Principal, loop: Loop, at: datetime
) -> str | None:
    if row is None:
        return "NOT_FOUND"
    step = row["step"]
    here = loop.rule(step) if step else None
    waiting = action.skips_optional and here is not None and here.optional
    rule = here if step in action.steps else loop.rule(action.steps[0]) if waiting else None
    if row["status"] != WorkItemStatus.OPEN.value or rule is None:
        return "WRONG_STEP"
    if viewer.role.value != rule.actor:
        return "NOT_YOURS"
    if (
        rule.not_by_rated_staff
        and viewer.staff_code
        and viewer.staff_code == row["rated_staff_code"]
    ):
        return "NOT_YOURS"
    due = as_utc(row["due_at"])
    if rule is here and rule.optional and due is not None and due < at:
        return "DEADLINE_PASSED"
    if rule.evidence and not action.evidence_ids:
        return "EVIDENCE_REQUIRED"
    length = len(action.text.strip())
    if length > TEXT_MAX or (action.text_required and length < TEXT_MIN):
        return "TEXT_REQUIRED"
    return None
