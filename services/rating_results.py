"""What rating gives back: the submission, the stored rating, the answer (accepted, with
what became of it, or refused with a code and a message for the rater), and the answer as
kept with the rater's request id so a retry gets the same one."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from models.enums import Channel

TARGETS = ("case", "batch", "integrated_service")
MAX_TEXT = 500


@dataclass(frozen=True)
class Submission:
    target: str
    number: str
    level: int
    channel: Channel
    tags: tuple[str, ...] = ()
    comment: str | None = None
    client_request_id: str | None = None


@dataclass(frozen=True)
class StoredRating:
    id: int
    level: int
    category: str
    tags: list[str]
    comment: str | None
    channel: str
    rated_at: str


# What became of an accepted rating: it counts; it is held for review (stored, not
# counted); or it is kept in the history while the applicant's own rating stays effective.
EFFECTIVE, HELD, RECORDED = "EFFECTIVE", "HELD", "RECORDED"
STATUS_MESSAGES = {
    EFFECTIVE: "评价已提交，感谢您的评价",
    HELD: "评价已收到，需人工核实后才计入评价结果",
    RECORDED: "评价已记入评价历史；申请人本人的评价仍为有效评价",
}


@dataclass(frozen=True)
class Accepted:
    rating: StoredRating
    applies_to: list[str]
    rules_version: str
    fired_rules: list[str]
    status: str = EFFECTIVE

    @property
    def message(self) -> str:
        return STATUS_MESSAGES[self.status]


@dataclass(frozen=True)
class RatingRefusal:
    code: str
    message: str


Result = Accepted | RatingRefusal

RATING_REFUSALS = {
    "NOT_FOUND": "没有找到这项办件",
    "NOT_RATER": "只有办件的申请人可以评价；经办工作人员不能评价自己办理的办件",
    "STAFF_CODE_REQUIRED": "工作人员账号没有工号，不能代为录入评价",
    "CASE_NOT_COMPLETED": "办件还没有办结，办结后才能评价",
    "INVALID_LEVEL": "评价等级无效",
    "INVALID_TAG": "所选的原因不在本等级可选范围内",
    "REASON_REQUIRED": "差评请选择原因或填写文字说明",
    "RATING_WINDOW_CLOSED": "已超过补充评价期限",
    "ALREADY_RATED": "这项办件已经评价过了",
    "RATE_EACH_MEMBER": "这项一件事服务需要对每个事项分别评价",
    "TOO_LONG": f"文字评价最多 {MAX_TEXT} 字",
    "RATE_LIMITED": "评价过于频繁，请稍后再试",
}


def rejected(code: str) -> RatingRefusal:
    return RatingRefusal(code, RATING_REFUSALS[code])


# The answer's kind as stored with the request id: fixed words, whatever the classes are
# called (answers stored by earlier versions say the same).
_ACCEPTED, _REFUSED = "Accepted", "Rejected"


def dumped(result: Result) -> str:
    kind = _ACCEPTED if isinstance(result, Accepted) else _REFUSED
    return json.dumps({"type": kind, **asdict(result)})


def loaded(body: str | None) -> Result | None:
    return None if body is None else _load(body)


def _load(body: str) -> Result:
    data = json.loads(body)
    kind = data.pop("type")
    if kind == _REFUSED:
        return RatingRefusal(**data)
    return Accepted(
        rating=StoredRating(**data["rating"]),
        applies_to=data["applies_to"],
        rules_version=data["rules_version"],
        fired_rules=data["fired_rules"],
        status=data.get("status", EFFECTIVE),  # answers stored before statuses existed
    )
