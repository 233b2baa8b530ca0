"""The bad-rating loop (差评处理闭环) as a policy file writes it (`workflow`): its steps in
order, who acts at each, what the action must carry, what a passed deadline does, what an
upheld appeal makes of the rating, and the share of closed items an admin spot-checks.

How long each step may take stays in `deadlines` (one place for durations). A follow-up
rating (追评) that is bad again goes to the follow_up_review step when the workflow has one,
as one not given in time does when follow_up_rating's `when_overdue` is `review`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from rules.spec_base import Rule, Strict
from rules.spec_values import DurationText, Step
from rules.vocabulary import AppealUpheld, WhenOverdue

# Who acts at a step: the handled unit's staff, the area admin, or the rater (a follow-up
# rating of the fix). Staff act within their department, admins within their region.
Actor = Literal["window_staff", "dept_handler", "area_admin", "rater"]


class WorkflowStep(Rule):
    step: Step
    actor: Actor
    # The action must carry evidence (a photo, a PDF): an appeal "with evidence".
    evidence: bool = False
    # The rated staff member may not act at this step (inner_mongolia: the callback).
    not_by_rated_staff: bool = False
    # A step the loop may pass by: the unit appeals only when it disputes the rating.
    optional: bool = False
    when_overdue: WhenOverdue = WhenOverdue.ESCALATE


class StaffFlag(Rule):
    """Staff with this many confirmed bad ratings (差评 that stood: the appeal was rejected
    or never filed) within the period are flagged for the admin (fenghua: 2 in a year)."""

    confirmed_bad_ratings: int = Field(ge=1)
    within: DurationText


class Workflow(Strict):
    steps: list[WorkflowStep] = Field(min_length=1)
    appeal_upheld: AppealUpheld | None = None
    # Per cent of the closed items of a region its admin checks (inner_mongolia: >= 50).
    spot_check_percent: int | None = Field(default=None, ge=1, le=100)
    staff_flag: StaffFlag | None = None
