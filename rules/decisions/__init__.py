"""Each policy section's decision, one module per section (rules.yaml key in brackets):

- levels: what a level means on a channel, and the rating form (`levels`)
- history: a rating over one the case already has (`rating.repeat`, `rating.on_behalf`,
  `rating.default_rating.replaceable`)
- windows: until when a case may be rated, when its default rating and reminder fall due,
  and the sweep's cut-offs (`rating.late_rating`, `rating.default_rating`, `rating.reminder`)
- scope: which cases one rating lands on (`scope`)
- deadlines: the follow-up steps' deadlines (`deadlines`)
- masking: how a role sees personal data (`masking`)
- moderation: comments held for review (`moderation`)
- abuse: the anti-abuse limits (`abuse`)
- workflow: who acts at each step of the bad-rating loop, and what a passed deadline does
  (`workflow`)
- rating: the whole rating decision, composed from the ones above

A module turns its section into CompiledRules (rules.rule) and its outcomes into a frozen
dataclass; rules.compiler alone knows the engine that runs them.
"""

from __future__ import annotations

from rules.calendar import WorkingCalendar
from rules.decisions import (
    abuse,
    deadlines,
    history,
    levels,
    masking,
    moderation,
    scope,
    windows,
    workflow,
)
from rules.rule import CompiledRule
from rules.spec import Policy


def policy_rules(policy: Policy) -> list[CompiledRule]:
    """Every rule of `policy`, in the order the sections appear in rules.yaml."""
    calendar = WorkingCalendar(policy.calendar.holidays, policy.calendar.working_days)
    return [
        *levels.rules(policy),
        *history.rules(policy.rating),
        *windows.rules(policy.rating, calendar),
        *scope.rules(policy.scope),
        *deadlines.rules(policy, calendar),
        *masking.rules(policy),
        *moderation.rules(policy),
        *abuse.rules(policy, calendar),
        *workflow.rules(policy),
    ]
