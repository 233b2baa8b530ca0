"""What one key of a policy cannot say alone (completeness, uniqueness, references between
keys), and advice on what is valid but probably not meant. Each problem is a path into the
policy and a message in the policy staff's terms."""

from __future__ import annotations

from rules.durations import Unit
from rules.sms_length import SEGMENT, estimate, messages
from rules.spec import CHANNELS, Path, Policy, rule_paths

Problem = tuple[Path, str]


def cross_checks(policy: Policy) -> list[Problem]:
    """What one key cannot say alone: completeness, uniqueness, references between keys."""
    return (
        _levels_problems(policy)
        + _channel_problems(policy)
        + _unique_problems(policy)
        + _calendar_problems(policy)
        + _reminder_problems(policy)
        + _workflow_problems(policy)
        + _metric_problems(policy)
    )


def advice(policy: Policy) -> list[Problem]:
    """What is valid but probably not meant: warnings, which do not stop the policy."""
    reminder = policy.rating.reminder
    if reminder is None:
        return []
    length, parts = estimate(reminder.template, reply_hint=reminder.reply_hint)
    if length <= SEGMENT:
        return []
    made_of = ", ".join(
        f"{'the text' if part == 'text' else part} {count}" for part, count in parts.items()
    )
    return [
        (
            ("rating", "reminder", "template"),
            f"about {length} characters once filled in ({made_of}), over the {SEGMENT} of one "
            f"SMS: it would go out as {messages(length)} messages. Shorten the text (or the "
            "reply hint) so the reminder fits one SMS",
        )
    ]


def _reminder_problems(policy: Policy) -> list[Problem]:
    reminder = policy.rating.reminder
    if reminder is None:
        return []
    uses_reply = "{reply}" in reminder.template
    if uses_reply and reminder.reply_hint is None:
        return [
            (
                ("rating", "reminder", "template"),
                "the template uses {reply} but there is no reply_hint to fill it in; add "
                "reply_hint (the words asking for an SMS reply) or take {reply} out",
            )
        ]
    if not uses_reply and reminder.reply_hint is not None:
        return [
            (
                ("rating", "reminder", "reply_hint"),
                "the reply hint is never sent: put {reply} in the template where it belongs, "
                "or delete reply_hint",
            )
        ]
    return []


def _levels_problems(policy: Policy) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[int] = set()
    for index, level in enumerate(policy.levels):
        if level.level in seen:
            problems.append((("levels", index, "level"), f"level {level.level} is defined twice"))
        seen.add(level.level)
    missing = sorted({1, 2, 3, 4, 5} - seen, reverse=True)
    if missing:
        problems.append(
            (
                ("levels",),
                "levels must define each of 5, 4, 3, 2, 1; missing: "
                + ", ".join(map(str, missing)),
            )
        )
    default = policy.rating.default_rating
    if default is not None and default.level not in seen:
        problems.append(
            (
                ("rating", "default_rating", "level"),
                f"level {default.level} is not one of the defined levels",
            )
        )
    return problems


def _channel_problems(policy: Policy) -> list[Problem]:
    problems: list[Problem] = []
    listed = [c for channels in policy.channel_classes.values() for c in channels]
    missing = [c for c in CHANNELS if c not in listed]
    if missing:
        problems.append(
            (("channel_classes",), f"every channel needs a class; missing: {', '.join(missing)}")
        )
    for name, channels in policy.channel_classes.items():
        for index, channel in enumerate(channels):
            if listed.count(channel) > 1:
                problems.append(
                    (
                        ("channel_classes", name, index),
                        f"channel {channel} is listed in more than one class",
                    )
                )
    for li, level in enumerate(policy.levels):
        for ti, tag in enumerate(level.tags):
            for ci, name in enumerate(tag.channels or []):
                if name not in policy.channel_classes:
                    problems.append(
                        (
                            ("levels", li, "tags", ti, "channels", ci),
                            f"{name!r} is not a channel class; defined: "
                            + ", ".join(policy.channel_classes),
                        )
                    )
    return problems


def _unique_problems(policy: Policy) -> list[Problem]:
    problems: list[Problem] = []
    seen_ids: set[str] = set()
    for path, rule in rule_paths(policy):
        if rule.id in seen_ids:
            problems.append(((*path, "id"), f"rule id {rule.id!r} is used twice"))
        seen_ids.add(rule.id)
    seen_tags: set[str] = set()
    for li, level in enumerate(policy.levels):
        for ti, tag in enumerate(level.tags):
            if tag.code in seen_tags:
                problems.append(
                    (
                        ("levels", li, "tags", ti, "code"),
                        f"tag code {tag.code!r} is used twice; each tag needs its own code",
                    )
                )
            seen_tags.add(tag.code)
    for key, attr in (("deadlines", "step"), ("masking", "role")):
        seen: set[str] = set()
        for index, item in enumerate(getattr(policy, key)):
            value = getattr(item, attr)
            if value in seen:
                problems.append(((key, index, attr), f"{attr} {value!r} appears twice in {key}"))
            seen.add(value)
    return problems


def _calendar_problems(policy: Policy) -> list[Problem]:
    holidays = set(policy.calendar.holidays)
    return [
        (
            ("calendar", "working_days", index),
            f"{day.isoformat()} is listed both as a holiday and as a working day",
        )
        for index, day in enumerate(policy.calendar.working_days)
        if day in holidays
    ]


def _workflow_problems(policy: Policy) -> list[Problem]:
    """The loop's steps each once, in keys that agree: the appeal with what upholding it
    does, the spot check with its share, the rater only at the follow-up rating, and every
    deadline (but the moderation queue's) for a step of the loop."""
    workflow = policy.workflow
    if workflow is None:
        return []
    found: list[Problem] = []
    first: dict[str, int] = {}
    for index, step in enumerate(workflow.steps):
        where: Path = ("workflow", "steps", index)
        if step.step in first:
            found.append(
                ((*where, "step"), f"{step.step} is already workflow.steps[{first[step.step]}]")
            )
        first.setdefault(step.step, index)
        if (step.actor == "rater") != (step.step == "follow_up_rating"):
            found.append(((*where, "actor"), "the rater acts at follow_up_rating, and only there"))
        if step.when_overdue == "deem_confirmed" and step.step != "appeal":
            found.append(
                (
                    (*where, "when_overdue"),
                    "deem_confirmed is what an appeal not filed in time does; use it on the "
                    "appeal step",
                )
            )
    pairs = (
        (
            "appeal",
            "appeal_upheld",
            workflow.appeal_upheld,
            "not_counted, revoked or recorded_unrated",
        ),
        ("spot_check", "spot_check_percent", workflow.spot_check_percent, "a per cent, 1-100"),
    )
    for step_name, key, value, what in pairs:
        if (step_name in first) != (value is not None):
            found.append(
                (
                    ("workflow", key),
                    f"the {step_name} step and {key} ({what}) go together: give both or neither",
                )
            )
    flag = workflow.staff_flag
    if flag is not None and flag.within.unit != Unit.NATURAL_DAYS:
        found.append(
            (
                ("workflow", "staff_flag", "within"),
                "a staff member's tally runs over natural days (a year: 365 natural days)",
            )
        )
    for index, deadline in enumerate(policy.deadlines):
        # The comments' review is the moderation queue's deadline, not a step of the loop.
        if deadline.step not in first and deadline.step != "moderation_review":
            found.append(
                (
                    ("deadlines", index, "step"),
                    f"{deadline.step} is not a step of the workflow: add it to workflow.steps "
                    "or take the deadline out",
                )
            )
    return found


def _metric_problems(policy: Policy) -> list[Problem]:
    """Each metric's code once; its levels and categories the policy's own; the disclosure
    naming metrics that exist."""
    problems: list[Problem] = []
    categories = {level.category.value for level in policy.levels}
    codes: set[str] = set()
    for index, metric in enumerate(policy.metrics):
        if metric.code in codes:
            problems.append(
                (("metrics", index, "code"), f"metric code {metric.code!r} is used twice")
            )
        codes.add(metric.code)
        for side in ("numerator", "denominator"):
            for category in getattr(metric, side).category or []:
                if category not in categories:
                    problems.append(
                        (
                            ("metrics", index, side, "category"),
                            f"no level has the category {category!r}; the levels' categories "
                            f"are {', '.join(sorted(categories))}",
                        )
                    )
    disclosure = policy.disclosure
    for index, code in enumerate(disclosure.metrics if disclosure else []):
        if code not in codes:
            problems.append(
                (("disclosure", "metrics", index), f"{code!r} is not the code of a metric above")
            )
    return problems
