"""The policy's metrics compiled to sums over the statistics' counters (`engine.metrics()`).

The counters are kept per day and cell by the statistics store; each is named here as the
store names its column. A case counts once: rated by a person at a level (r1..r5), rated by
default (f1..f5), or not rated; `excluded` are the cases whose rating an upheld appeal took
out of the statistics altogether (appeal_upheld: not_counted). An upheld appeal that revokes
the rating or records the case as unrated leaves the case counted, as not rated. The work
items of a case count by how far they got (w_*)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

from rules.spec import Policy
from rules.spec_metrics import Metric, Stage, Term

LEVELS = (1, 2, 3, 4, 5)
RATED = tuple(f"r{level}" for level in LEVELS)
DEFAULTED = tuple(f"f{level}" for level in LEVELS)
# The stages a term may name (spec_metrics.Stage) but `confirmed`, which is a sum of others,
# and `rating_changed`, which only `confirmed` uses.
STAGES = (*(s for s in get_args(Stage) if s != "confirmed"), "rating_changed")
COUNTERS = ("cases", "excluded", "held", "upheld", *RATED, *DEFAULTED, *(f"w_{s}" for s in STAGES))

Sum = tuple[tuple[str, int], ...]  # (counter, +1 or -1)


@dataclass(frozen=True)
class MetricRule:
    code: str
    title: str
    description: str
    numerator: Sum
    denominator: Sum
    better: str  # higher | lower
    rule_id: str


@dataclass(frozen=True)
class DisclosureRule:
    metrics: tuple[str, ...]
    comments: bool
    min_sample: int
    title: str
    description: str
    rule_id: str


@dataclass(frozen=True)
class MetricBook:
    metrics: tuple[MetricRule, ...]
    disclosure: DisclosureRule | None
    version: str

    def get(self, code: str) -> MetricRule | None:
        return next((m for m in self.metrics if m.code == code), None)


def build_metrics(policy: Policy, version: str) -> MetricBook:
    by_category: dict[str, list[int]] = {}
    for level in policy.levels:
        by_category.setdefault(level.category.value, []).append(level.level)
    rules = tuple(_rule(metric, by_category) for metric in policy.metrics)
    shown = policy.disclosure
    disclosure = (
        DisclosureRule(
            tuple(shown.metrics),
            shown.comments,
            shown.min_sample,
            shown.title,
            shown.description,
            shown.id,
        )
        if shown
        else None
    )
    return MetricBook(rules, disclosure, version)


def _rule(metric: Metric, by_category: dict[str, list[int]]) -> MetricRule:
    counted = metric.default_ratings == "counted"
    return MetricRule(
        code=metric.code,
        title=metric.title,
        description=metric.description,
        numerator=_sum(metric.numerator, by_category, counted),
        denominator=_sum(metric.denominator, by_category, counted),
        better=metric.better,
        rule_id=metric.id,
    )


def _sum(term: Term, by_category: dict[str, list[int]], defaults_counted: bool) -> Sum:
    levels = list(LEVELS)
    if term.levels:
        levels = sorted(set(term.levels))
    elif term.category:
        levels = sorted({lv for c in term.category for lv in by_category.get(c, [])})
    rated = [(f"r{lv}", 1) for lv in levels]
    defaulted = [(f"f{lv}", 1) for lv in levels]
    match term.count:
        case "cases":
            return (("cases", 1), ("excluded", -1))
        case "ratings" | "rated_cases":
            return tuple(rated + (defaulted if defaults_counted else []))
        case "unrated_cases":
            given = [(c, -1) for c in RATED + (DEFAULTED if defaults_counted else ())]
            return (("cases", 1), ("excluded", -1), *given)
        case "default_ratings":
            return tuple(defaulted)
        case "held_ratings":
            return (("held", 1),)
        case "upheld_appeals":
            return (("upheld", 1),)
    stage = term.stage or "any"
    if stage == "confirmed":
        return (("w_any", 1), ("w_appeal_upheld", -1), ("w_rating_changed", -1))
    return ((f"w_{stage}", 1),)
