"""The rules engine: policy files (rules.yaml, profiles/) compiled into durable_rules.

The rest of the product uses only this surface:
    Engine.from_path(path).history(Prior.RATING) / .cutoffs(now) / … -> Decided[T], one
        typed method per decision kind, T a frozen dataclass of rules/decisions, and the
        policy's vocabularies as enums (Category, WhenBoth, ReminderVia, AppliesTo, Prior,
        WhenOverdue, AppealUpheld)
    engine.evaluate(kind, facts) -> Decision: the same with the outcome as a mapping, for
        the scenario files
    load(path) / parse(text) -> Source, raising PolicyError with located Problems
    await load_bounded(path) / parse_bounded(text): the same off the event loop, time-bound
    engine.sms_quiet_hours -> QuietHours | None: when no SMS may go out
    Replay(engine, now).add(cases) / .tally() -> Tally, compare(active, draft): what-if
"""

from rules.calendar import BUSINESS_TZ
from rules.decisions.abuse import CountingWindow, Limits
from rules.decisions.deadlines import MODERATION_REVIEW
from rules.decisions.levels import LevelView
from rules.decisions.masking import MASKED_FIELDS
from rules.decisions.metrics import COUNTERS, DisclosureRule, MetricBook, MetricRule
from rules.decisions.rating import RatingFacts, RatingVerdict
from rules.decisions.scope import Reach
from rules.decisions.windows import CaseDeadlines, Cutoffs, DefaultDue, RemindDue
from rules.decisions.workflow import Loop, StepRule
from rules.engine import KINDS, Decided, Decision, Engine, EraCutoffs
from rules.loader import (
    PARSE_SECONDS,
    Source,
    load,
    load_bounded,
    parse,
    parse_bounded,
)
from rules.masking import apply_mask
from rules.policy_problems import PolicyError, Problem
from rules.quiet import QuietHours
from rules.vocabulary import (
    AppealUpheld,
    AppliesTo,
    Category,
    Prior,
    ReminderVia,
    WhenBoth,
    WhenOverdue,
)
from rules.whatif import FIGURES, FigurePair, PastCase, PastItem, PastRating, Replay, Tally, compare
from rules.whatif_due import CaseDue, CaseDueByDay, DisagreesWithEngineError, StepDueByDay

__all__ = [
    "BUSINESS_TZ",
    "COUNTERS",
    "FIGURES",
    "KINDS",
    "MASKED_FIELDS",
    "MODERATION_REVIEW",
    "PARSE_SECONDS",
    "AppealUpheld",
    "AppliesTo",
    "CaseDeadlines",
    "CaseDue",
    "CaseDueByDay",
    "Category",
    "CountingWindow",
    "Cutoffs",
    "Decided",
    "Decision",
    "DefaultDue",
    "DisagreesWithEngineError",
    "DisclosureRule",
    "Engine",
    "EraCutoffs",
    "FigurePair",
    "LevelView",
    "Limits",
    "Loop",
    "MetricBook",
    "MetricRule",
    "PastCase",
    "PastItem",
    "PastRating",
    "PolicyError",
    "Prior",
    "Problem",
    "QuietHours",
    "RatingFacts",
    "RatingVerdict",
    "Reach",
    "RemindDue",
    "ReminderVia",
    "Replay",
    "Source",
    "StepDueByDay",
    "StepRule",
    "Tally",
    "WhenBoth",
    "WhenOverdue",
    "apply_mask",
    "compare",
    "load",
    "load_bounded",
    "parse",
    "parse_bounded",
]
