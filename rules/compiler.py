"""Loads a policy's rules into durable_rules rulesets. The ONLY module importing durable.

The rules themselves are built by the section modules in rules/decisions; this module is
the engine's plumbing. One ruleset per decision kind; one durable rule per policy rule (and
per variant of it, e.g. per masked field). Conditions are durable's JSON (`$and`, `$or`,
`$mt` …); actions are registered by name through a Host subclass and compute the rule's
outcome from the facts.

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

import itertools
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import durable_rules_engine
from durable.engine import Host

from rules.rule import CompiledRule, Condition, Facts, Outcome


class RuleActionError(Exception):
    """A rule's action failed while deciding; the decision is not trustworthy."""


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
        # A null fact is an absent one: durable matches null neither to a value nor to its
        # absence, and a message nothing matches breaks it (see _otherwise).
        if None in message.values():
            message = {k: v for k, v in message.items() if v is not None}
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
    """Not every term holds: one of the facts differs from the term's value, or is not given
    at all (durable's $neq does not match a missing fact, so without $nex facts lacking one
    would match no rule). One flat $or: durable does not nest them."""
    negations: list[Condition] = []
    for term in terms:
        negations.append({"$neq": term})
        if len(term) == 1 and not next(iter(term)).startswith("$"):
            negations.append({"$nex": {next(iter(term)): 1}})
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
