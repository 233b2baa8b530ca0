"""What one key of a policy cannot say alone (completeness, uniqueness, references between
keys), and advice on what is valid but probably not meant. Each problem is a path into the
policy and a message in the policy staff's terms (the workflow's and the metrics' checks
are rules/spec_checks_loop.py).

A check reads some top-level sections of the policy; it runs when each of them validated,
so a schema error in `levels` does not hide a cross-check problem in `workflow`."""

from __future__ import annotations

from collections.abc import Callable, Collection

from rules.sms_length import SEGMENT, estimate, messages
from rules.spec import CHANNELS, Path, Policy, rule_paths
from rules.spec_checks_loop import metric_problems, workflow_problems
from rules.wording import Said, dotted

Finding = tuple[Path, Said]
Check = Callable[[Policy], list[Finding]]
# Where rules are (rule_paths): a rule id is known unique only when every one of them is read.
_RULE_SECTIONS = (
    "levels",
    "rating",
    "scope",
    "deadlines",
    "masking",
    "moderation",
    "abuse",
    "workflow",
    "metrics",
    "disclosure",
)


def cross_checks(policy: Policy, valid: Collection[str] | None = None) -> list[Finding]:
    """What one key cannot say alone: completeness, uniqueness, references between keys.
    With `valid`, only the checks whose sections are all in it (the rest did not validate
    and may be missing from `policy`)."""
    return [
        finding
        for sections, check in _CHECKS
        if valid is None or all(section in valid for section in sections)
        for finding in check(policy)
    ]


def advice(policy: Policy) -> list[Finding]:
    """What is valid but probably not meant: warnings, which do not stop the policy."""
    reminder = policy.rating.reminder
    if reminder is None:
        return []
    length, parts = estimate(reminder.template, reply_hint=reminder.reply_hint)
    if length <= SEGMENT:
        return []
    made_zh = "，".join(f"{'文字' if part == 'text' else part} {n}" for part, n in parts.items())
    made_en = ", ".join(
        f"{'the text' if part == 'text' else part} {count}" for part, count in parts.items()
    )
    count = messages(length)
    said = Said(
        f"填入内容后约 {length} 个字（{made_zh}），超过一条短信的 {SEGMENT} 个字，会分成 "
        f"{count} 条发出。请缩短模板文字（或回复提示 reply_hint），让提醒一条发完",
        f"about {length} characters once filled in ({made_en}), over the {SEGMENT} of one "
        f"SMS: it would go out as {count} messages. Shorten the text (or the reply hint) so "
        "the reminder fits one SMS",
    )
    return [(("rating", "reminder", "template"), said)]


def _reminder_problems(policy: Policy) -> list[Finding]:
    reminder = policy.rating.reminder
    if reminder is None:
        return []
    uses_reply = "{reply}" in reminder.template
    if uses_reply and reminder.reply_hint is None:
        said = Said(
            "模板里用了 {reply}，但没有写 reply_hint（回复提示）来填它；请补上 reply_hint"
            "（请对方回复短信评价的那句话），或从模板里去掉 {reply}",
            "the template uses {reply} but there is no reply_hint to fill it in; add "
            "reply_hint (the words asking for an SMS reply) or take {reply} out",
        )
        return [(("rating", "reminder", "template"), said)]
    if not uses_reply and reminder.reply_hint is not None:
        said = Said(
            "回复提示不会发出：请在模板里该出现的位置写上 {reply}，或删掉 reply_hint",
            "the reply hint is never sent: put {reply} in the template where it belongs, "
            "or delete reply_hint",
        )
        return [(("rating", "reminder", "reply_hint"), said)]
    return []


def _levels_problems(policy: Policy) -> list[Finding]:
    problems: list[Finding] = []
    seen: set[int] = set()
    for index, level in enumerate(policy.levels):
        if level.level in seen:
            said = Said(
                f"评价等级 {level.level} 定义了两次", f"level {level.level} is defined twice"
            )
            problems.append((("levels", index, "level"), said))
        seen.add(level.level)
    missing = sorted({1, 2, 3, 4, 5} - seen, reverse=True)
    if missing:
        said = Said(
            "5、4、3、2、1 五个评价等级都要定义；缺少：" + "、".join(map(str, missing)),
            "levels must define each of 5, 4, 3, 2, 1; missing: " + ", ".join(map(str, missing)),
        )
        problems.append((("levels",), said))
    return problems


def _default_level_problems(policy: Policy) -> list[Finding]:
    default = policy.rating.default_rating
    defined = {level.level for level in policy.levels}
    if default is None or default.level in defined:
        return []
    said = Said(
        f"默认评价的等级 {default.level} 不是 levels 里定义的评价等级",
        f"level {default.level} is not one of the defined levels",
    )
    return [(("rating", "default_rating", "level"), said)]


def _channel_problems(policy: Policy) -> list[Finding]:
    problems: list[Finding] = []
    listed = [c for channels in policy.channel_classes.values() for c in channels]
    missing = [c for c in CHANNELS if c not in listed]
    if missing:
        said = Said(
            "每个评价渠道都要归入一类；没有归类的：" + "、".join(missing),
            f"every channel needs a class; missing: {', '.join(missing)}",
        )
        problems.append((("channel_classes",), said))
    for name, channels in policy.channel_classes.items():
        for index, channel in enumerate(channels):
            if listed.count(channel) > 1:
                said = Said(
                    f"渠道 {channel} 归入了不止一类；每个渠道只能归入一类",
                    f"channel {channel} is listed in more than one class",
                )
                problems.append((("channel_classes", name, index), said))
    return problems


def _tag_channel_problems(policy: Policy) -> list[Finding]:
    problems: list[Finding] = []
    defined_zh, defined_en = "、".join(policy.channel_classes), ", ".join(policy.channel_classes)
    for li, level in enumerate(policy.levels):
        for ti, tag in enumerate(level.tags):
            for ci, name in enumerate(tag.channels or []):
                if name not in policy.channel_classes:
                    said = Said(
                        f"“{name}”不是 channel_classes 里的渠道分类；已有的分类：{defined_zh}",
                        f"{name!r} is not a channel class; defined: {defined_en}",
                    )
                    problems.append((("levels", li, "tags", ti, "channels", ci), said))
    return problems


def _rule_id_problems(policy: Policy) -> list[Finding]:
    problems: list[Finding] = []
    first: dict[str, Path] = {}
    for path, rule in rule_paths(policy):
        if rule.id in first:
            said = Said(
                f"规则编号“{rule.id}”已经在 {dotted(first[rule.id], 'zh')} 用过；每条规则的 id "
                "都不能重复",
                f"rule id {rule.id!r} is used twice (first at {dotted(first[rule.id], 'en')})",
            )
            problems.append(((*path, "id"), said))
        first.setdefault(rule.id, path)
    return problems


def _tag_code_problems(policy: Policy) -> list[Finding]:
    problems: list[Finding] = []
    seen_tags: set[str] = set()
    for li, level in enumerate(policy.levels):
        for ti, tag in enumerate(level.tags):
            if tag.code in seen_tags:
                said = Said(
                    f"标签代码“{tag.code}”用了两次；每个评价标签都要有自己的 code",
                    f"tag code {tag.code!r} is used twice; each tag needs its own code",
                )
                problems.append((("levels", li, "tags", ti, "code"), said))
            seen_tags.add(tag.code)
    return problems


def _twice_in(key: str, attr: str, what: str) -> Check:
    """Each `attr` of the items of `key` once: one deadline per step, one mask per role."""

    def check(policy: Policy) -> list[Finding]:
        problems: list[Finding] = []
        seen: set[str] = set()
        for index, item in enumerate(getattr(policy, key)):
            value = getattr(item, attr)
            if value in seen:
                said = Said(
                    f"{key} 里{what}“{value}”写了两次；同一{what}只写一次",
                    f"{attr} {value!r} appears twice in {key}",
                )
                problems.append(((key, index, attr), said))
            seen.add(value)
        return problems

    return check


def _calendar_problems(policy: Policy) -> list[Finding]:
    holidays = set(policy.calendar.holidays)
    return [
        (
            ("calendar", "working_days", index),
            Said(
                f"{day.isoformat()} 既写成了放假（holidays），又写成了调休上班（working_days）；"
                "请删掉其中一处",
                f"{day.isoformat()} is listed both as a holiday and as a working day",
            ),
        )
        for index, day in enumerate(policy.calendar.working_days)
        if day in holidays
    ]


_CHECKS: tuple[tuple[tuple[str, ...], Check], ...] = (
    (("levels",), _levels_problems),
    (("levels", "rating"), _default_level_problems),
    (("channel_classes",), _channel_problems),
    (("channel_classes", "levels"), _tag_channel_problems),
    (_RULE_SECTIONS, _rule_id_problems),
    (("levels",), _tag_code_problems),
    (("deadlines",), _twice_in("deadlines", "step", "环节")),
    (("masking",), _twice_in("masking", "role", "角色")),
    (("calendar",), _calendar_problems),
    (("rating",), _reminder_problems),
    (("workflow", "deadlines"), workflow_problems),
    (("levels", "metrics", "disclosure"), metric_problems),
)
