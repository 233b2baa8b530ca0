"""The demo's past: half a year of rated cases before the demo week, so that the dashboard,
the rankings and the public page have figures from the first run. Each case is rated by
its own citizen on the app or the QR code through `submit_rating`, as of a clock half an
hour after the case, so the policy decides as it would have then; the bad ratings open work
items as any would (the sweep later finds them overdue), and one case in ten is left for the
policy's default."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from models.enums import Channel
from rules import BUSINESS_TZ, Engine
from server.counters import LocalCounters
from services.case_intake import ApplicantData, CaseData
from services.ingest_cases import ingest_cases
from services.raters import Rater
from services.rating_results import Accepted, Submission
from services.submit_rating import submit_rating
from services.vault import Vault

DAYS = 182  # before the demo week
PER_DAY = 3
COMMENTS = {
    5: "办事很快，工作人员耐心解答",
    4: "整体满意，排队时间稍长",
    2: "材料要求前后不一致，跑了两趟",
    1: "等了很久，窗口态度不好",
}


def _level(k: int) -> int | None:
    """A plausible share: most very satisfied, a few bad; one in ten not rated."""
    if k % 10 == 9:
        return None
    share = (k * 7919) % 100
    for level, below in ((5, 68), (4, 84), (3, 92), (2, 97)):
        if share < below:
            return level
    return 1


def history_cases(
    make: Callable[[str, ApplicantData, str, datetime, datetime | None], CaseData],
    people: list[ApplicantData],
    matters: list[str],
    now: datetime,
) -> list[CaseData]:
    """Three cases a working day for half a year before the demo week."""
    local = now.astimezone(BUSINESS_TZ)
    cases = []
    k = 0
    for day in range(DAYS + 7, 7, -1):
        date = (local - timedelta(days=day)).replace(hour=9, minute=30, second=0, microsecond=0)
        if date.weekday() >= 5:
            continue
        for slot in range(PER_DAY):
            accepted = date + timedelta(minutes=90 * slot)
            case_no = f"HIST-{accepted:%Y%m%d}-{slot + 1:02d}"
            person = people[k % len(people)]
            cases.append(
                make(
                    case_no,
                    person,
                    matters[k % len(matters)],
                    accepted,
                    accepted + timedelta(minutes=40),
                )
            )
            k += 1
    return cases


def _at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


async def rate_history(cases: list[CaseData], *, engine: Engine, vault: Vault) -> int:
    """Rate the cases as their citizens would have; the number rated."""
    counters = LocalCounters()
    rated = 0
    for k, case in enumerate(cases):
        level = _level(k)
        if level is None or case.completed_at is None:
            continue
        channel = Channel.APP if k % 3 else Channel.QR
        form = engine.form(channel.value).value
        [meaning] = [lv for lv in form.levels if lv.level == level]
        tags = (meaning.tags[k % len(meaning.tags)].code,) if meaning.tags and level <= 2 else ()
        lookup = vault.lookup_hash(case.applicant.id_number)
        at = datetime.fromisoformat(case.completed_at) + timedelta(minutes=30)
        result = await submit_rating(
            Submission(
                target="case",
                number=case.case_no,
                level=level,
                channel=channel,
                tags=tags,
                comment=COMMENTS.get(level) if k % 4 == 0 else None,
            ),
            Rater(role="citizen", key=f"citizen:{lookup}", applicant_hash=lookup),
            engine=engine,
            clock=_at(at),
            counters=counters,
        )
        rated += isinstance(result, Accepted)
    return rated


async def seed_history(
    make: Callable[[str, ApplicantData, str, datetime, datetime | None], CaseData],
    people: list[ApplicantData],
    matters: list[str],
    *,
    engine: Engine,
    vault: Vault,
    now: datetime,
) -> int:
    """Ingest and rate the history; the number of cases ingested."""
    cases = history_cases(make, people, matters, now)
    await ingest_cases(cases, vault=vault, now=now)
    await rate_history(cases, engine=engine, vault=vault)
    return len(cases)
