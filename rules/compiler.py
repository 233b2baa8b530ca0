"""Compiles a validated policy into durable_rules rulesets. The ONLY module importing durable.

One ruleset per decision kind; one durable rule per policy rule (and per variant of it, e.g.
per masked field). Conditions are durable's JSON (`$and`, `$or`, `$mt` …); actions are
registered by name through a Host subclass and compute the rule's outcome from the facts.

The engine's traps are handled here, once:
- facts are asserted (`assert_fact`), so every matching rule fires, not only the first;
- every evaluation gets a fresh sid and its state is deleted, also on errors (a ruleset
  holds at most 1,024 live sids);
- an exception inside an action, which durable swallows into the state, is re-raised;
- rulesets cannot be unregistered by name, so each compiled policy owns its own Host and
  frees its rulesets' native handles when it is retired (bounded memory over reloads);
- the Host's background dispatch threads are never started (nothing here uses timers, and
  they could otherwise run an action on another thread mid-evaluation).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import durable_rules_engine
from durable.engine import Host

from rules.calendar import WorkingCalendar
from rules.spec import Keep, Level, Policy, RatingPolicy, Reminder

Facts = Mapping[str, Any]
Outcome = dict[str, Any]
Condition = dict[str, Any]


class RuleActionError(Exception):
    """A rule's action failed while deciding; the decision is not trustworthy."""


@dataclass(frozen=True)
class CompiledRule:
    rule_id: str
    kind: str
    condition: Condition
    outcome: Callable[[Facts], Outcome]


class _Evaluation:
    __slots__ = ("error", "facts", "fired", "outcome")

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.fired: list[str] = []
        self.outcome: Outcome = {}
        self.error: BaseException | None = None


class _PolicyHost(Host):  # type: ignore[misc]
    def __init__(self, actions: Mapping[str, Callable[[Any], None]]) -> None:
        self._named_actions = dict(actions)
        super().__init__()

    def _run(self) -> None:
        """No background dispatch: every action runs inside the evaluation that fired it."""

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        return self._named_actions[action_name]

    def free(self) -> None:
        for ruleset in self._ruleset_list:
            durable_rules_engine.delete_ruleset(ruleset._handle)
        self._ruleset_list.clear()
        self._ruleset_directory.clear()


class CompiledPolicy:
    """One policy version loaded into the engine; evaluations may run on any thread."""

    def __init__(self, rules: list[CompiledRule], kinds: Iterable[str]) -> None:
        self._sids = itertools.count(1)
        self._inflight: dict[str, _Evaluation] = {}
        self._lock = threading.Lock()
        self._running = 0
        self._retired = False
        self._freed = False
        actions: dict[str, Callable[[Any], None]] = {_UNMATCHED: _unmatched}
        definitions: dict[str, dict[str, Any]] = {kind: {} for kind in kinds}
        for index, rule in enumerate(rules):
            name = f"{rule.kind}.{rule.rule_id}.{index}"
            actions[name] = self._action(rule)
            condition = {"$and": [{"kind": rule.kind}, rule.condition]}
            definitions[rule.kind][name] = {"all": [{"m": condition}], "run": name}
        for kind, ruleset in definitions.items():
            otherwise = _otherwise(kind, [r.condition for r in rules if r.kind == kind])
            if otherwise is not None:
                ruleset[_UNMATCHED] = {"all": [{"m": otherwise}], "run": _UNMATCHED}
        self.kinds = frozenset(definitions)
        by_kind: dict[str, list[Condition]] = {}
        for rule in rules:
            by_kind.setdefault(rule.kind, []).append(rule.condition)
        # Where rules exclude each other, an event (`post`) fires the one match; where
        # several may hold at once (the form, a case's deadlines), every match must fire,
        # which only asserting a fact does.
        self._several = frozenset(k for k, conds in by_kind.items() if not _exclusive(conds))
        # durable deletes each rule's "run" key while registering; keep what was compiled.
        self.definitions: dict[str, dict[str, Any]] = json.loads(json.dumps(definitions))
        self._host = _PolicyHost(actions)
        self._host.register_rulesets(definitions)

    def _action(self, rule: CompiledRule) -> Callable[[Any], None]:
        def act(c: Any) -> None:
            evaluation = self._inflight[c._m["m"]["sid"]]  # the matched fact, unwrapped
            try:
                result = rule.outcome(evaluation.facts)
            except Exception as exc:  # re-raised by run(), never swallowed
                evaluation.error = exc
                return
            if not evaluation.fired:
                evaluation.fired.append(rule.rule_id)
                evaluation.outcome = result
                return
            if rule.rule_id not in evaluation.fired:
                evaluation.fired.append(rule.rule_id)
            evaluation.outcome = _merged(evaluation.outcome, result)

        return act

    def run(self, kind: str, facts: Facts, message: dict[str, Any]) -> tuple[list[str], Outcome]:
        """Decide `kind` for `facts`; `message` (JSON values only) is what durable matches
        on, and is completed here with the kind and a fresh sid."""
        if kind not in self.kinds:
            return [], {}
        sid = str(next(self._sids))
        evaluation = _Evaluation(facts)
        self._inflight[sid] = evaluation
        message["kind"] = kind
        message["sid"] = sid
        try:
            state = self._assert(kind, message)
        finally:
            self._host.delete_state(kind, sid)
            del self._inflight[sid]
        if evaluation.error is not None:
            raise RuleActionError(f"a {kind} rule failed: {type(evaluation.error).__name__}") from (
                evaluation.error
            )
        if state and state.get("exception"):
            raise RuleActionError(f"a {kind} rule failed inside the engine")
        return evaluation.fired, evaluation.outcome

    def _assert(self, kind: str, message: dict[str, Any]) -> dict[str, Any] | None:
        send = self._host.assert_fact if kind in self._several else self._host.post
        state: dict[str, Any] | None = send(kind, message)
        return state

    def enter(self) -> bool:
        """Count an evaluation in; False once the policy has been freed (the caller then
        takes the policy that replaced it)."""
        with self._lock:
            if self._freed:
                return False
            self._running += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self._running -= 1
            free = self._retired and self._running == 0 and not self._freed
            self._freed = self._freed or free
        if free:
            self._host.free()

    def retire(self) -> None:
        """Free the native rulesets once no evaluation is using them."""
        with self._lock:
            self._retired = True
            free = self._running == 0 and not self._freed
            self._freed = self._freed or free
        if free:
            self._host.free()


_UNMATCHED = "unmatched"


def _terms(condition: Condition) -> dict[str, Any] | None:
    """A conjunction of equalities as {key: value}; None for anything else."""
    terms = condition["$and"] if set(condition) == {"$and"} else [condition]
    found: dict[str, Any] = {}
    for term in terms:
        if len(term) != 1:
            return None
        key, value = next(iter(term.items()))
        if key.startswith("$"):
            return None
        found[key] = value
    return found


def _exclusive(conditions: list[Condition]) -> bool:
    """True when no two conditions can hold for the same facts."""
    parsed = [_terms(c) for c in conditions]
    if any(p is None for p in parsed):
        return len(conditions) <= 1
    for index, first in enumerate(parsed):
        for second in parsed[index + 1 :]:
            assert first is not None and second is not None
            if not any(k in second and second[k] != v for k, v in first.items()):
                return False
    return True


def _unmatched(_c: Any) -> None:
    """No policy rule applies to these facts; the decision is the empty outcome."""


def _otherwise(kind: str, conditions: list[Condition]) -> Condition | None:
    """A rule matching exactly the facts no policy rule matches, or None when some rule
    always matches. An assert that matches nothing leaves durable's state such that the
    following delete_state() corrupts the heap (free(): invalid pointer / SIGSEGV), so no
    assert may go unmatched; and it must be exclusive, since every action fired costs a
    round trip through the engine."""
    negated = []
    for condition in conditions:
        terms = condition["$and"] if set(condition) == {"$and"} else [condition]
        terms = [t for t in terms if t and t != {"kind": kind}]
        if not terms:
            return None
        negated.append(_not_all(terms))
    return {"$and": [{"kind": kind}, *negated]}


def _not_all(terms: list[Condition]) -> Condition:
    negations = [{"$neq": term} for term in terms]
    return negations[0] if len(negations) == 1 else {"$or": negations}


def _merged(into: Outcome, result: Outcome) -> Outcome:
    """Outcomes of several rules of one decision; lists (e.g. the form's levels) add up.
    Never mutates either side: the first outcome may be a compile-time constant."""
    merged = dict(into)
    for key, value in result.items():
        if isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = [*merged[key], *value]
        else:
            merged[key] = value
    return merged


def compile_policy(policy: Policy, kinds: Iterable[str]) -> CompiledPolicy:
    calendar = WorkingCalendar(policy.calendar.holidays, policy.calendar.working_days)
    rules = [
        *_level_rules(policy),
        *_rating_rules(policy, calendar),
        *_scope_rules(policy),
        *_deadline_rules(policy, calendar),
        *_masking_rules(policy),
        *_moderation_rules(policy),
        *_abuse_rules(policy, calendar),
    ]
    return CompiledPolicy(rules, kinds)


def _eq(**values: Any) -> Condition:
    return {"$and": [{key: value} for key, value in values.items()]}


_ANY_CHANNEL = ""  # facts without a known channel see every tag of the level


def _level_views(policy: Policy, level: Level) -> dict[str, Outcome]:
    """The level as shown on each channel (tags may be limited to a channel class),
    computed once at compile time so that deciding is a lookup."""
    views: dict[str, Outcome] = {}
    all_tags = [{"code": tag.code, "label": tag.label} for tag in level.tags]
    for channel_class, channels in policy.channel_classes.items():
        tags = [
            {"code": tag.code, "label": tag.label}
            for tag in level.tags
            if tag.channels is None or channel_class in tag.channels
        ]
        view = {
            "level": level.level,
            "label": level.label,
            "category": level.category,
            "reason_required": level.reason_required,
            "tags": tags,
            "tag_codes": [t["code"] for t in tags],
        }
        views.update(dict.fromkeys(channels, view))
    views[_ANY_CHANNEL] = {
        **next(iter(views.values())),
        "tags": all_tags,
        "tag_codes": [t["code"] for t in all_tags],
    }
    return views


def _level_rules(policy: Policy) -> list[CompiledRule]:
    rules = []
    for level in policy.levels:
        views = _level_views(policy, level)

        def view(facts: Facts, views: dict[str, Outcome] = views) -> Outcome:
            return views.get(str(facts.get("channel", "")), views[_ANY_CHANNEL])

        def listed(facts: Facts, view: Callable[[Facts], Outcome] = view) -> Outcome:
            return {"levels": [view(facts)]}

        rules.append(CompiledRule(level.id, "level", _eq(level=level.level), view))
        rules.append(CompiledRule(level.id, "form", {"$and": [{"kind": "form"}]}, listed))
    return rules


def _rating_rules(policy: Policy, calendar: WorkingCalendar) -> list[CompiledRule]:
    rating = policy.rating
    rules: list[CompiledRule] = []
    repeat = rating.repeat
    again = (
        {"accepted": True, "supersedes": True}
        if repeat.when_rated_again == "latest_wins"
        else {"accepted": False, "code": "ALREADY_RATED"}
    )
    rules.append(CompiledRule(repeat.id, "history", _eq(prior="rating"), lambda _f: dict(again)))
    rules.append(_over_own_rating(rating, again))
    if rating.late_rating is not None:
        within = rating.late_rating.within

        def window(facts: Facts) -> Outcome:
            deadline = calendar.add(facts["completed_at"], within)
            rated_at = facts.get("rated_at")
            return {"deadline": deadline, "open": rated_at is None or rated_at <= deadline}

        rules.append(CompiledRule(rating.late_rating.id, "rating_window", {"$and": [{}]}, window))
        rules.append(
            CompiledRule(
                rating.late_rating.id,
                "case_deadlines",
                {"$and": [{}]},
                lambda f: {"rating_deadline": calendar.add(f["completed_at"], within)},
            )
        )
    if rating.default_rating is not None:
        default = rating.default_rating
        rules.append(
            CompiledRule(
                default.id,
                "case_deadlines",
                {"$and": [{}]},
                lambda f: {
                    "default_at": calendar.add(f["completed_at"], default.after),
                    "default_level": default.level,
                },
            )
        )
        on_default = (
            {"accepted": True, "supersedes": True}
            if default.replaceable
            else {"accepted": False, "code": "ALREADY_RATED"}
        )
        rules.append(
            CompiledRule(default.id, "history", _eq(prior="default"), lambda _f: dict(on_default))
        )
    if rating.late_rating is not None:
        late = rating.late_rating.within
        rules.append(
            CompiledRule(
                rating.late_rating.id,
                "cutoffs",
                {"$and": [{}]},
                lambda f: {"window_closed_before": calendar.cutoff(f["now"], late)},
            )
        )
    if rating.default_rating is not None:
        default_rule = rating.default_rating
        rules.append(
            CompiledRule(
                default_rule.id,
                "cutoffs",
                {"$and": [{}]},
                lambda f: {
                    "default_due_before": calendar.cutoff(f["now"], default_rule.after),
                    "default_level": default_rule.level,
                },
            )
        )
    if rating.reminder is not None:
        remind = rating.reminder
        rules.append(
            CompiledRule(
                remind.id,
                "cutoffs",
                {"$and": [{}]},
                lambda f: {
                    "remind_due_before": calendar.cutoff(f["now"], remind.after),
                    "remind_via": list(remind.via),
                    "remind_template": remind.template,
                    "remind_reply_hint": remind.reply_hint or "",
                    "remind_quiet_until": _quiet_until(remind, f["now"]),
                },
            )
        )
    if rating.reminder is not None:
        reminder = rating.reminder
        rules.append(
            CompiledRule(
                reminder.id,
                "case_deadlines",
                {"$and": [{}]},
                lambda f: {
                    "remind_at": _not_quiet(
                        reminder, calendar.add(f["completed_at"], reminder.after)
                    ),
                    "remind_via": list(reminder.via),
                    "remind_template": reminder.template,
                },
            )
        )
    return [_always_true(rule) for rule in rules]


def _not_quiet(reminder: Reminder, at: dt.datetime) -> dt.datetime:
    """When a reminder due at `at` goes: at once, or, for an SMS, when the quiet hours
    end (a call is a worklist entry for the department's staff, not a text at night)."""
    quiet = reminder.quiet_hours
    return at if quiet is None or reminder.via[0] != "SMS" else quiet.release(at)


def _quiet_until(reminder: Reminder, now: dt.datetime) -> dt.datetime | None:
    """None when an SMS may go `now`; within the quiet hours, the moment they end."""
    quiet = reminder.quiet_hours
    return None if quiet is None or not quiet.contains(now) else quiet.release(now)


def _always_true(rule: CompiledRule) -> CompiledRule:
    """`{"$and": [{}]}` marks "whenever this kind is decided"; the kind test says it all."""
    if rule.condition == {"$and": [{}]}:
        return CompiledRule(rule.rule_id, rule.kind, {"kind": rule.kind}, rule.outcome)
    return rule


def _scope_rules(policy: Policy) -> list[CompiledRule]:
    batch, service = policy.scope.batch, policy.scope.integrated_service
    rules = [
        CompiledRule(batch.id, "scope", _eq(target="batch"), lambda _f: {"applies_to": "batch"})
    ]
    if batch.one_rating_for_whole_batch:
        rules.append(
            CompiledRule(
                batch.id,
                "scope",
                _eq(target="case", in_batch=True),
                lambda _f: {"applies_to": "batch"},
            )
        )
    overall = (
        {"applies_to": "members", "when_both": service.when_both}
        if service.overall_applies_to_members
        else {"applies_to": "none", "code": "RATE_EACH_MEMBER"}
    )
    member = (
        {"applies_to": "case", "when_both": service.when_both}
        if service.members_rated_individually
        else {"applies_to": "members"}
    )
    rules.append(
        CompiledRule(
            service.id, "scope", _eq(target="integrated_service"), lambda _f: dict(overall)
        )
    )
    rules.append(
        CompiledRule(
            service.id,
            "scope",
            _eq(target="case", in_integrated_service=True),
            lambda _f: dict(member),
        )
    )
    return rules


def _deadline_rules(policy: Policy, calendar: WorkingCalendar) -> list[CompiledRule]:
    rules = []
    for deadline in policy.deadlines:

        def due(facts: Facts, within: Any = deadline.within) -> Outcome:
            return {"due": calendar.add(facts["from"], within), "within": str(within)}

        rules.append(CompiledRule(deadline.id, "deadline", _eq(step=deadline.step), due))
    return rules


def _masking_rules(policy: Policy) -> list[CompiledRule]:
    rules = []
    for masking in policy.masking:
        for field_name in ("name", "id_number", "phone"):
            pattern = getattr(masking, field_name)
            plain: Any = pattern.model_dump() if isinstance(pattern, Keep) else pattern

            def mask(_facts: Facts, plain: Any = plain) -> Outcome:
                return {"pattern": plain}

            rules.append(
                CompiledRule(masking.id, "mask", _eq(role=masking.role, field=field_name), mask)
            )
    return rules


def _over_own_rating(rating: RatingPolicy, again: Outcome) -> CompiledRule:
    """A rating entered on the applicant's behalf over one they gave themselves
    (prior "own_rating"): refused where ratings are never replaced; otherwise it displaces
    the applicant's own only where `on_behalf` says so. Without that section the applicant's
    own rating stands (the product's default) and the entry is kept in the history."""
    on_behalf = rating.on_behalf
    if not again["accepted"]:
        outcome, rule_id = again, rating.repeat.id
    elif on_behalf is not None and on_behalf.displaces_own_rating:
        outcome, rule_id = {"accepted": True, "supersedes": True}, on_behalf.id
    else:
        outcome = {"accepted": True, "supersedes": False}
        rule_id = on_behalf.id if on_behalf is not None else rating.repeat.id
    return CompiledRule(rule_id, "history", _eq(prior="own_rating"), lambda _f: dict(outcome))


def _abuse_rules(policy: Policy, calendar: WorkingCalendar) -> list[CompiledRule]:
    """The anti-abuse limits as counting windows in seconds, for the counters that keep
    them (outside the engine: counting is not deciding)."""
    abuse = policy.abuse
    if abuse is None:
        return []
    epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)

    def seconds(duration: Any) -> int:
        return int((calendar.add(epoch, duration) - epoch).total_seconds())

    limits: Outcome = {}
    for name in (
        "per_rater",
        "per_device",
        "per_window",
        "per_operator",
        "not_found",
        "device_ids",
    ):
        limit = getattr(abuse, name)
        if limit is not None:
            limits[name] = {"max": limit.max, "seconds": seconds(limit.within)}
    if abuse.hold_device_burst is not None:
        burst = abuse.hold_device_burst
        limits["hold_device_burst"] = {"raters": burst.raters, "seconds": seconds(burst.within)}
    return [_always_true(CompiledRule(abuse.id, "abuse", {"$and": [{}]}, lambda _f: limits))]


def _moderation_rules(policy: Policy) -> list[CompiledRule]:
    """durable's `$mt` (regex) crashes the process on some patterns (double free on `x.*`)
    and `$iany` segfaults on empty arrays, so no text is matched inside the engine: the
    listed words are looked up here and the engine decides on the plain result."""
    moderation = policy.moderation
    if moderation is None:
        return []
    words = tuple(moderation.words)
    review = str(moderation.review_within) if moderation.review_within else None

    def hold(facts: Facts) -> Outcome:
        return {
            "hold": True,
            "matched": [w for w in words if w in str(facts["comment"])],
            "review_within": review,
        }

    return [CompiledRule(moderation.id, "moderation", {"mentions_listed_word": True}, hold)]


def moderation_facts(policy: Policy, comment: str) -> dict[str, Any]:
    words = policy.moderation.words if policy.moderation else []
    return {"comment": comment, "mentions_listed_word": any(w in comment for w in words)}
