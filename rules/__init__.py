"""The rules engine: policy files (rules.yaml, profiles/) compiled into durable_rules.

The rest of the product uses only this surface:
    Engine.from_path(path).evaluate(kind, facts) -> Decision
    load(path) / parse(text) -> Source, raising PolicyError with located Problems
    await load_bounded(path) / parse_bounded(text): the same off the event loop, time-bound
    engine.sms_quiet_hours -> QuietHours | None: when no SMS may go out
"""

from rules.calendar import BUSINESS_TZ
from rules.engine import KINDS, Decision, Engine
from rules.loader import (
    PARSE_SECONDS,
    PolicyError,
    Problem,
    Source,
    load,
    load_bounded,
    parse,
    parse_bounded,
)
from rules.masking import apply_mask
from rules.quiet import QuietHours

__all__ = [
    "BUSINESS_TZ",
    "KINDS",
    "PARSE_SECONDS",
    "Decision",
    "Engine",
    "PolicyError",
    "Problem",
    "QuietHours",
    "Source",
    "apply_mask",
    "load",
    "load_bounded",
    "parse",
    "parse_bounded",
]
