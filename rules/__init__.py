"""The rules engine: policy files (rules.yaml, profiles/) compiled into durable_rules.

The rest of the product uses only this surface:
    Engine.from_path(path).evaluate(kind, facts) -> Decision
    load(path) / parse(text) -> Source, raising PolicyError with located Problems
"""

from rules.calendar import BUSINESS_TZ
from rules.engine import KINDS, Decision, Engine
from rules.loader import PolicyError, Problem, Source, load, parse
from rules.masking import apply_mask

__all__ = [
    "BUSINESS_TZ",
    "KINDS",
    "Decision",
    "Engine",
    "PolicyError",
    "Problem",
    "Source",
    "apply_mask",
    "load",
    "parse",
]
