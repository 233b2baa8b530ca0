"""The figures a policy publishes (`metrics`) and what of them goes public (`disclosure`).

A metric is a ratio of two counts over a fixed vocabulary: cases, rated or unrated cases,
ratings by level or category, default ratings, ratings held for review, upheld appeals, and
the work items of bad ratings by how far they got. What the policy leaves out is said
once, per metric, in `default_ratings` (a default rating counts as a rating, or as none);
an upheld appeal counts as the workflow's `appeal_upheld` says (rules/decisions/metrics)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from rules.spec_base import Rule, Strict
from rules.wording import Refusal

Count = Literal[
    "cases",
    "rated_cases",
    "unrated_cases",
    "ratings",
    "default_ratings",
    "held_ratings",
    "upheld_appeals",
    "work_items",
]
# How far a bad rating's work item got: every item, the open ones, those called back, appealed,
# whose appeal was decided or upheld, the bad ratings that stood (neither upheld nor changed
# by the rater), rectified, spot-checked, closed, closed with the rater's good follow-up,
# overdue at any step the unit or the admin owns, closed without ever being overdue.
Stage = Literal[
    "any",
    "open",
    "called_back",
    "appealed",
    "appeal_decided",
    "appeal_upheld",
    "confirmed",
    "rectified",
    "spot_checked",
    "closed",
    "follow_up_good",
    "overdue",
    "closed_in_time",
]
# The name clients ask for a metric by: lower-case words joined by underscores.
MetricCode = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$", max_length=40)
]
_RATING_COUNTS = ("ratings", "default_ratings")


class Term(Strict):
    count: Count
    levels: list[int] | None = Field(default=None, min_length=1, description="only these levels")
    category: list[str] | None = Field(
        default=None, min_length=1, description="only levels of these categories"
    )
    stage: Stage | None = Field(default=None, description="work items: how far they got")

    @model_validator(mode="after")
    def _fits_count(self) -> Term:
        if (self.levels or self.category) and self.count not in _RATING_COUNTS:
            raise Refusal(
                "levels 和 category 只能用来限定评价（ratings、default_ratings），"
                f"不能限定 {self.count}",
                f"levels and category narrow ratings, not {self.count}",
            )
        if self.levels and self.category:
            raise Refusal(
                "levels（评价等级）和 category（分类）只写一个，不要同时写",
                "name the levels or the category, not both",
            )
        if self.levels and any(not 1 <= level <= 5 for level in self.levels):
            raise Refusal("评价等级只能是 5 到 1", "a level is 1 to 5")
        if self.stage is not None and self.count != "work_items":
            raise Refusal(
                f"stage 只能用来限定差评工单（work_items），不能限定 {self.count}",
                f"stage narrows work_items, not {self.count}",
            )
        return self


class Metric(Rule):
    code: MetricCode = Field(description="the name clients ask for, e.g. satisfaction")
    numerator: Term
    denominator: Term
    # counted: a default rating (默认好评) is a rating like any other; excluded: the case
    # counts as not rated, as if no default had been given.
    default_ratings: Literal["counted", "excluded"] = "counted"
    # Higher is better (a satisfaction rate), or lower (a bad-rating rate): rankings sort so.
    better: Literal["higher", "lower"] = "higher"


class Disclosure(Rule):
    """What the public page (no login) shows: these metrics per department and window per
    month, and, with `comments`, the text comments that passed moderation."""

    metrics: list[MetricCode] = Field(min_length=1)
    comments: bool = False
    min_sample: int = Field(
        default=1, ge=1, description="a smaller denominator: the figure is withheld"
    )
