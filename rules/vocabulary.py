"""The policy's closed vocabularies: the words rules.yaml may use for a category, a repeat
rating, a one-thing bundle, a reminder and what a rating applies to.

They are StrEnums, so the policy file, the scenario files and the engine's outcomes keep
the plain words, while the code compares members, never strings.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """What a level counts as (差评 is BAD)."""

    GOOD = "good"
    NEUTRAL = "neutral"
    BAD = "bad"


class WhenRatedAgain(StrEnum):
    LATEST_WINS = "latest_wins"
    REFUSE = "refuse"


class WhenBoth(StrEnum):
    """A one-thing bundle rated as a whole and member by member: which rating counts."""

    MEMBER_WINS = "member_wins"
    LATEST_WINS = "latest_wins"


class ReminderVia(StrEnum):
    SMS = "SMS"
    CALL = "CALL"


class AppliesTo(StrEnum):
    """Which cases one rating lands on."""

    CASE = "case"
    BATCH = "batch"
    MEMBERS = "members"
    NONE = "none"


class Prior(StrEnum):
    """What a case already has when a rating arrives."""

    NONE = "none"
    RATING = "rating"
    DEFAULT = "default"
    OWN_RATING = "own_rating"  # the applicant's own, met by a rating entered on their behalf


class WhenOverdue(StrEnum):
    """What a passed deadline does to a work item at a step of the bad-rating loop."""

    ESCALATE = "escalate"  # the area admin is told and the item is theirs to chase
    DEEM_CONFIRMED = "deem_confirmed"  # no appeal in time: the bad rating stands (fenghua)
    REVIEW = "review"  # the admin reviews it in full (fenghua: no follow-up rating in time)
    NOTHING = "nothing"  # it is marked overdue, nothing more


class AppealUpheld(StrEnum):
    """What an upheld appeal (误评, 恶意差评, 无效评价) makes of the bad rating."""

    NOT_COUNTED = "not_counted"  # kept, excluded from the statistics (haiyang, inner_mongolia)
    REVOKED = "revoked"  # withdrawn as invalid (min_an)
    RECORDED_UNRATED = "recorded_unrated"  # the case counts as not rated (binhai)
