from __future__ import annotations

from rules import Engine, StepRule, WhenOverdue, parse
from tests.rules.decisions.conftest import TEXT


def test_a_step_says_who_acts_with_what_and_what_its_passed_deadline_does(engine: Engine) -> None:
    appeal = engine.workflow_step("appeal")
    assert appeal.value == StepRule(
        step="appeal",
        title="与事实不符的可申诉",
        actor="dept_handler",
        scope="department",
        evidence=True,
        not_by_rated_staff=False,
        optional=True,
        when_overdue=WhenOverdue.NOTHING,
        within="3 working days",
    )
    assert appeal.fired == ("appeal-if-untrue",)
    review = engine.workflow_step("appeal_review").value
    assert review is not None and (review.actor, review.scope) == ("area_admin", "region")
    assert review.when_overdue is WhenOverdue.ESCALATE  # the default


def test_a_step_the_workflow_does_not_have_is_none(engine: Engine) -> None:
    assert engine.workflow_step("follow_up_rating").value is None
    assert engine.workflow_step("no-such-step").value is None


def test_the_step_order_and_the_appeal_outcome_are_the_policys(engine: Engine) -> None:
    workflow = engine.policy.workflow
    assert workflow is not None
    assert [s.step for s in workflow.steps] == [
        "callback",
        "appeal",
        "appeal_review",
        "rectification",
        "rectification_review",
    ]
    assert workflow.appeal_upheld == "not_counted"


def test_a_policy_without_a_workflow_has_no_steps() -> None:
    """The section is optional: a policy without it (and so without deadlines for the
    loop's steps, which would name steps of no workflow) decides no step."""
    lines = TEXT.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("workflow:"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i][:1] not in (" ", "#", "\n"))
    text = "".join(lines[:start] + lines[end:])
    engine = Engine(parse(text))
    assert engine.policy.workflow is None
    assert engine.workflow_step("callback").value is None
