"""What-if: the cases of a period, their ratings and work items replayed under a policy,
tallied into the figures policy staff compare before publishing a draft (`Replay`), and
two such tallies side by side (`compare`). docs/whatif.md defines every figure.

Under a policy, one case: a person's rating is refused when it came after the late-rating
window closed; a held one (waiting for review) waits. The default applies when it fell due
(before `now`) with no rating taken or held by then. The case's rating is then, as the
policy's `history` decides, the first or the latest rating taken (after a default: the
latest one after it where the default may be replaced, else the default). A reminder went
when it fell due with the window still open and nothing rated or defaulted by then. A
rating whose level is bad under the policy opens a work item; the database's item of that
rating, if any, says how far it got and when its callback and rectification were done, and
the item is overdue when one of those two was done after the policy's deadline, or not done
and the deadline passed by `now` while the item was open.

The deadlines are the engine's, learnt once per Beijing date (rules.whatif_due)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from rules.decisions.metrics import COUNTERS, MetricRule, Sum
from rules.engine import Engine
from rules.vocabulary import Category, Prior
from rules.whatif_due import CaseDueByDay, StepDueByDay, beijing_day

# (key, title): the figures every policy has, before its metrics.
FIGURES = (
    ("cases", "办结办件数"),
    ("defaults_applied", "默认评价数"),
    ("ratings_refused", "超过补充评价期限被拒的评价数"),
    ("reminders_sent", "未评价提醒数"),
    ("work_items_opened", "差评工单数"),
    ("work_items_overdue", "逾期差评工单数（回访、整改）"),
)
METRIC_KEY = "metric:"  # + the metric's code
_NOT_COUNTED = "not_counted"
# Items that closed because the bad rating fell away, not because it was dealt with.
_FELL_AWAY = frozenset({"APPEAL_UPHELD", "RATING_CHANGED"})


class PastRating(Protocol):
    """A person's rating of a case as the database has it (never a default)."""

    @property
    def id(self) -> int: ...
    @property
    def level(self) -> int: ...
    @property
    def rated_at(self) -> dt.datetime: ...
    @property
    def held(self) -> bool: ...
    @property
    def appeal_upheld(self) -> str | None: ...


class PastItem(Protocol):
    """The work item of one rating as the database has it."""

    @property
    def opened_at(self) -> dt.datetime: ...
    @property
    def open(self) -> bool: ...
    @property
    def close_reason(self) -> str | None: ...
    @property
    def confirmed_at(self) -> dt.datetime | None: ...
    @property
    def called_back_at(self) -> dt.datetime | None: ...
    @property
    def rectified_at(self) -> dt.datetime | None: ...
    @property
    def appealed(self) -> bool: ...
    @property
    def appeal_decided(self) -> bool: ...
    @property
    def spot_checked(self) -> bool: ...


class PastCase(Protocol):
    @property
    def completed_at(self) -> dt.datetime: ...
    @property
    def ratings(self) -> Sequence[PastRating]: ...  # oldest first
    @property
    def items(self) -> Mapping[int, PastItem]: ...  # by the rating's id


@dataclass(frozen=True)
class Tally:
    """One policy's figures over the replayed cases."""

    version: str
    counts: Mapping[str, int]  # FIGURES' keys
    metrics: tuple[tuple[MetricRule, int, int], ...]  # each with numerator, denominator


@dataclass(frozen=True)
class FigurePair:
    key: str
    title: str
    active: float | None
    draft: float | None
    active_text: str
    draft_text: str

    @property
    def changed(self) -> bool:
        return self.active_text != self.draft_text


class Replay:
    """Feed it cases (`add`), read the figures (`tally`). Not thread-safe: one per task."""

    def __init__(self, engine: Engine, now: dt.datetime) -> None:
        policy = engine.policy
        self._engine = engine
        self._now = now
        self._due = CaseDueByDay(engine)
        self._callback = StepDueByDay(engine, "callback")
        self._rectification = StepDueByDay(engine, "rectification")
        self._bad = frozenset(
            lv.level for lv in policy.levels if _category(engine, lv.level) is Category.BAD
        )
        self._latest_wins = engine.history(Prior.RATING).value.supersedes
        self._default_level = (
            policy.rating.default_rating.level if policy.rating.default_rating else None
        )
        self._default_replaced = engine.history(Prior.DEFAULT).value.supersedes
        upheld = policy.workflow.appeal_upheld if policy.workflow else None
        self._upheld_as = None if upheld is None else upheld.value
        self._counts = dict.fromkeys((key for key, _ in FIGURES), 0)
        self._counters = dict.fromkeys(COUNTERS, 0)

    def add(self, cases: Iterable[PastCase]) -> None:
        for case in cases:
            self._add(case)

    def tally(self) -> Tally:
        book = self._engine.metrics()
        metrics = tuple(
            (rule, self._sum(rule.numerator), self._sum(rule.denominator)) for rule in book.metrics
        )
        return Tally(self._engine.version, dict(self._counts), metrics)

    def _sum(self, terms: Sum) -> int:
        return sum(self._counters[name] * sign for name, sign in terms)

    def _add(self, case: PastCase) -> None:
        counts, counters, now = self._counts, self._counters, self._now
        completed = case.completed_at
        closes, default_at, remind_at = self._due.of(completed, beijing_day(completed))
        taken: list[PastRating] = []
        held_at: dt.datetime | None = None
        for rating in case.ratings:
            if closes is not None and rating.rated_at > closes:
                counts["ratings_refused"] += 1
            elif rating.held:
                held_at = rating.rated_at if held_at is None else held_at
            else:
                taken.append(rating)
        first_at = min(taken[0].rated_at if taken else now, held_at or now)
        defaulted = default_at is not None and default_at < now and first_at > default_at
        if (
            remind_at is not None
            and remind_at < now
            and first_at > remind_at
            and (closes is None or remind_at <= closes)
            and not (defaulted and default_at is not None and default_at <= remind_at)
        ):
            counts["reminders_sent"] += 1
        counts["cases"] += 1
        counters["cases"] += 1
        counters["held"] += held_at is not None
        if defaulted:
            counts["defaults_applied"] += 1
            later = [r for r in taken if default_at is not None and r.rated_at > default_at]
            if not (later and self._default_replaced) and self._default_level is not None:
                counters[f"f{self._default_level}"] += 1
                return
            taken = later
        if not taken:
            return
        rating = taken[-1] if self._latest_wins else taken[0]
        self._rated(rating, case.items.get(rating.id))

    def _rated(self, rating: PastRating, item: PastItem | None) -> None:
        counters = self._counters
        if rating.appeal_upheld is not None:
            counters["upheld"] += 1
            counters["excluded"] += (self._upheld_as or rating.appeal_upheld) == _NOT_COUNTED
        else:
            counters[f"r{rating.level}"] += 1
        if rating.level not in self._bad:
            return
        self._counts["work_items_opened"] += 1
        overdue = self._overdue(rating, item)
        self._counts["work_items_overdue"] += overdue
        counters["w_any"] += 1
        counters["w_overdue"] += overdue
        if item is None:
            counters["w_open"] += 1
            return
        reason = item.close_reason
        for name, done in (
            ("w_open", item.open),
            ("w_closed", not item.open),
            ("w_called_back", item.called_back_at is not None),
            ("w_appealed", item.appealed),
            ("w_appeal_decided", item.appeal_decided),
            ("w_appeal_upheld", reason == "APPEAL_UPHELD"),
            ("w_rating_changed", reason == "RATING_CHANGED"),
            ("w_rectified", item.rectified_at is not None),
            ("w_spot_checked", item.spot_checked),
            ("w_follow_up_good", reason == "FOLLOW_UP_GOOD"),
            ("w_closed_in_time", not item.open and reason not in _FELL_AWAY and not overdue),
        ):
            counters[name] += done

    def _overdue(self, rating: PastRating, item: PastItem | None) -> bool:
        """The callback (from when the item opened) or the rectification (from when the
        item reached it) done late, or not done and late as of now while the item is open."""
        is_open = item is None or item.open
        opened = rating.rated_at if item is None else item.opened_at
        steps = [(self._callback.of(opened), None if item is None else item.called_back_at)]
        if item is not None and item.confirmed_at is not None:
            steps.append((self._rectification.of(item.confirmed_at), item.rectified_at))
        for due, done in steps:
            if due is None:
                continue
            if (done is not None and done > due) or (done is None and is_open and due < self._now):
                return True
        return False


def _category(engine: Engine, level: int) -> Category | None:
    meaning = engine.level(level).value
    return None if meaning is None else meaning.category


def compare(active: Tally, draft: Tally) -> list[FigurePair]:
    """The figures of both side by side: FIGURES, then every metric of either policy
    (the active policy's order, then the draft's new ones); a metric one of them does not
    have is None (text "—") on that side."""
    pairs = [
        FigurePair(key, title, active.counts[key], draft.counts[key], *_texts(active, draft, key))
        for key, title in FIGURES
    ]
    theirs = {rule.code: (rule, n, d) for rule, n, d in active.metrics}
    ours = {rule.code: (rule, n, d) for rule, n, d in draft.metrics}
    for code in [*theirs, *(c for c in ours if c not in theirs)]:
        rule = (ours.get(code) or theirs[code])[0]
        before, after = _ratio(theirs.get(code)), _ratio(ours.get(code))
        pairs.append(
            FigurePair(METRIC_KEY + code, rule.title, before[0], after[0], before[1], after[1])
        )
    return pairs


def _texts(active: Tally, draft: Tally, key: str) -> tuple[str, str]:
    return str(active.counts[key]), str(draft.counts[key])


def _ratio(found: tuple[MetricRule, int, int] | None) -> tuple[float | None, str]:
    if found is None:
        return None, "—"
    _rule, numerator, denominator = found
    value = numerator / denominator if denominator else None
    return value, f"{numerator}/{denominator}"
