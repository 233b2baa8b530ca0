"""The cross checks of the bad-rating loop (`workflow`, with the `deadlines` of its steps)
and of the published figures (`metrics`, `disclosure`), for rules/spec_checks.py."""

from __future__ import annotations

from rules.durations import Unit
from rules.spec import Path, Policy
from rules.spec_workflow import Workflow
from rules.wording import Said, dotted

Finding = tuple[Path, Said]
_RATER_STEP = Said(
    "评价人（rater）只在追评环节 follow_up_rating 办理，其他环节不能由评价人办理",
    "the rater acts at follow_up_rating, and only there",
)
_DEEM_CONFIRMED = Said(
    "deem_confirmed（逾期视为认可差评）只用于申诉环节 appeal：它说的是未在期限内申诉",
    "deem_confirmed is what an appeal not filed in time does; use it on the appeal step",
)
_STAFF_FLAG = Said(
    "工作人员差评累计按自然日计算（一年写 365 natural days 或 365个自然日）",
    "a staff member's tally runs over natural days (a year: 365 natural days)",
)


def workflow_problems(policy: Policy) -> list[Finding]:
    """The loop's steps each once, in keys that agree: the appeal with what upholding it
    does, the spot check with its share, the rater only at the follow-up rating, and every
    deadline (but the moderation queue's) for a step of the loop."""
    workflow = policy.workflow
    if workflow is None:
        return []
    found: list[Finding] = []
    first: dict[str, int] = {}
    for index, step in enumerate(workflow.steps):
        where: Path = ("workflow", "steps", index)
        if step.step in first:
            earlier = ("workflow", "steps", first[step.step])
            said = Said(
                f"环节 {step.step} 已经写在 {dotted(earlier, 'zh')}；每个环节只写一次",
                f"{step.step} is already {dotted(earlier, 'en')}",
            )
            found.append(((*where, "step"), said))
        first.setdefault(step.step, index)
        if (step.actor == "rater") != (step.step == "follow_up_rating"):
            found.append(((*where, "actor"), _RATER_STEP))
        if step.when_overdue == "deem_confirmed" and step.step != "appeal":
            found.append(((*where, "when_overdue"), _DEEM_CONFIRMED))
    found += _pairs(workflow, set(first))
    flag = workflow.staff_flag
    if flag is not None and flag.within.unit != Unit.NATURAL_DAYS:
        found.append((("workflow", "staff_flag", "within"), _STAFF_FLAG))
    for index, deadline in enumerate(policy.deadlines):
        # The comments' review is the moderation queue's deadline, not a step of the loop.
        if deadline.step not in first and deadline.step != "moderation_review":
            said = Said(
                f"{deadline.step} 不是 workflow 里的环节：请把它加到 workflow.steps，"
                "或删掉这条时限",
                f"{deadline.step} is not a step of the workflow: add it to workflow.steps "
                "or take the deadline out",
            )
            found.append((("deadlines", index, "step"), said))
    return found


def _pairs(workflow: Workflow, steps: set[str]) -> list[Finding]:
    """A step and the key that says how it ends: both or neither."""
    pairs = (
        (
            "appeal",
            "appeal_upheld",
            workflow.appeal_upheld,
            "申诉成立后差评怎么算：not_counted、revoked 或 recorded_unrated",
            "not_counted, revoked or recorded_unrated",
        ),
        (
            "spot_check",
            "spot_check_percent",
            workflow.spot_check_percent,
            "抽查比例，1-100 的百分数",
            "a per cent, 1-100",
        ),
    )
    found: list[Finding] = []
    for step_name, key, value, what_zh, what_en in pairs:
        if (step_name in steps) != (value is not None):
            said = Said(
                f"{step_name} 环节和 {key}（{what_zh}）要一起写：两个都写，或两个都不写",
                f"the {step_name} step and {key} ({what_en}) go together: give both or neither",
            )
            found.append((("workflow", key), said))
    return found


def metric_problems(policy: Policy) -> list[Finding]:
    """Each metric's code once; its levels and categories the policy's own; the disclosure
    naming metrics that exist."""
    problems: list[Finding] = []
    categories = sorted({level.category.value for level in policy.levels})
    codes: set[str] = set()
    for index, metric in enumerate(policy.metrics):
        if metric.code in codes:
            said = Said(
                f"指标代码“{metric.code}”用了两次", f"metric code {metric.code!r} is used twice"
            )
            problems.append((("metrics", index, "code"), said))
        codes.add(metric.code)
        for side in ("numerator", "denominator"):
            for category in getattr(metric, side).category or []:
                if category not in categories:
                    said = Said(
                        f"没有哪个评价等级的分类是“{category}”；各等级的分类有："
                        + "、".join(categories),
                        f"no level has the category {category!r}; the levels' categories "
                        f"are {', '.join(categories)}",
                    )
                    problems.append((("metrics", index, side, "category"), said))
    disclosure = policy.disclosure
    for index, code in enumerate(disclosure.metrics if disclosure else []):
        if code not in codes:
            said = Said(
                f"“{code}”不是上面 metrics 里任何一个指标的代码",
                f"{code!r} is not the code of a metric above",
            )
            problems.append((("disclosure", "metrics", index), said))
    return problems
