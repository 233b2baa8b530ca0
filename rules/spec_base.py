"""The base of every part of a policy file: nothing unknown, nothing mutable, and a rule
that names itself."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from rules.spec_values import RuleId, Text


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(Strict):
    """Every rule names itself: a stable id (kebab-case) and the policy's own words."""

    id: RuleId
    title: Text
    description: Text
