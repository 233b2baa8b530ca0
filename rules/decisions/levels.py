"""What a level means on a channel (`level`), and the rating form (`form`): rules.yaml
`levels` with `channel_classes` (a tag may be offered on some channel classes only)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rules.rule import CompiledRule, Facts, Outcome, eq
from rules.spec import Level, Policy
from rules.vocabulary import Category

_ANY_CHANNEL = ""  # facts without a known channel see every tag of the level


@dataclass(frozen=True)
class TagView:
    code: str
    label: str


@dataclass(frozen=True)
class LevelView:
    """A level as a rater on one channel meets it."""

    level: int
    label: str
    category: Category
    reason_required: bool
    tags: tuple[TagView, ...]

    @property
    def tag_codes(self) -> frozenset[str]:
        return frozenset(tag.code for tag in self.tags)

    @classmethod
    def from_outcome(cls, outcome: Mapping[str, Any]) -> LevelView:
        return cls(
            level=int(outcome["level"]),
            label=str(outcome["label"]),
            category=Category(outcome["category"]),
            reason_required=bool(outcome["reason_required"]),
            tags=tuple(TagView(str(t["code"]), str(t["label"])) for t in outcome["tags"]),
        )


@dataclass(frozen=True)
class Form:
    """The levels offered on a channel, best first as the policy lists them."""

    levels: tuple[LevelView, ...]

    @classmethod
    def from_outcome(cls, outcome: Mapping[str, Any]) -> Form:
        return cls(tuple(LevelView.from_outcome(level) for level in outcome.get("levels", [])))


def _views(policy: Policy, level: Level) -> dict[str, Outcome]:
    """The level as shown on each channel, computed once at compile time so that deciding
    is a lookup."""
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
            "category": level.category.value,
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


def rules(policy: Policy) -> list[CompiledRule]:
    found = []
    for level in policy.levels:
        views = _views(policy, level)

        def view(facts: Facts, views: dict[str, Outcome] = views) -> Outcome:
            return views.get(str(facts.get("channel", "")), views[_ANY_CHANNEL])

        def listed(facts: Facts, view: Callable[[Facts], Outcome] = view) -> Outcome:
            return {"levels": [view(facts)]}

        found.append(CompiledRule(level.id, "level", eq(level=level.level), view))
        found.append(CompiledRule(level.id, "form", {"$and": [{"kind": "form"}]}, listed))
    return found
