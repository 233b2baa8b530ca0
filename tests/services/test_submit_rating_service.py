"""services.submit_rating called directly, as the use case every channel shares (GraphQL,
the SMS reply, the pad): who may rate, what is refused and why, latest rating wins, a
retried request id, and what an accepted bad rating opens. The GraphQL tests in
tests/api/test_ratings.py go through the resolver."""

from __future__ import annotations

from typing import Any

import pytest

from models.db import connection, fetch
from models.enums import Channel
from rules import Engine
from server.counters import LocalCounters
from server.state import app_state
from services.ingest_cases import ingest_cases
from services.raters import Rater
from services.rating_results import Accepted, RatingRefusal, Result, Submission
from services.submit_rating import submit_rating
from services.vault import Vault
from tests.conftest import DATA_KEY, Api
from tests.factories import CHEN, WANG
from tests.services.test_ingest_service import case_data

VAULT = Vault.from_ring(DATA_KEY)


def citizen(person: dict[str, Any]) -> Rater:
    lookup = VAULT.lookup_hash(person["idNumber"])
    return Rater(role="citizen", key=f"citizen:{lookup}", applicant_hash=lookup)


@pytest.fixture
async def rate(api: Api) -> Any:
    """Rate as the use case is called: the app's policy and clock, fresh counters."""
    await ingest_cases(
        [case_data("R-1"), case_data("R-2", completedAt=None), case_data("R-3", CHEN)],
        vault=VAULT,
        now=api.clock.now,
    )
    engine: Engine = app_state(api.app).collaborators.engine
    counters = LocalCounters()

    async def rating(number: str, level: int, rater: Rater | None = None, **given: Any) -> Result:
        submission = Submission(
            target="case",
            number=number,
            level=level,
            channel=given.pop("channel", Channel.QR),
            **given,
        )
        return await submit_rating(
            submission,
            rater or citizen(WANG),
            engine=engine,
            clock=lambda: api.clock.now,
            counters=counters,
        )

    return rating


async def case_row(number: str) -> dict[str, Any]:
    [row] = await fetch(
        connection(),
        "SELECT c.rating_status, e.level, e.channel FROM case_record c "
        "LEFT JOIN rating e ON e.id = c.effective_rating_id WHERE c.case_no = ?",
        [number],
    )
    return row


def refused(result: Result) -> str:
    assert isinstance(result, RatingRefusal), result
    return result.code


async def test_an_accepted_rating_becomes_the_cases_effective_rating(rate: Any) -> None:
    result = await rate("R-1", 5)
    assert isinstance(result, Accepted)
    assert (result.status, result.applies_to, result.rating.level) == ("EFFECTIVE", ["R-1"], 5)
    assert result.fired_rules  # the policy's rule ids, kept with the rating
    assert await case_row("R-1") == {"rating_status": "RATED", "level": 5, "channel": "QR"}


async def test_the_latest_rating_wins(rate: Any) -> None:
    assert isinstance(await rate("R-1", 5), Accepted)
    assert isinstance(await rate("R-1", 3, channel=Channel.APP), Accepted)
    assert await case_row("R-1") == {"rating_status": "RATED", "level": 3, "channel": "APP"}
    history = await fetch(connection(), "SELECT level, effective FROM rating ORDER BY id")
    assert [(r["level"], bool(r["effective"])) for r in history] == [(5, False), (3, True)]


@pytest.mark.parametrize(
    ("number", "level", "rater", "given", "code"),
    [
        ("R-404", 5, None, {}, "NOT_FOUND"),
        ("R-3", 5, None, {}, "NOT_FOUND"),  # 陈美玲's case: not told apart from none
        ("R-2", 5, None, {}, "CASE_NOT_COMPLETED"),
        ("R-1", 5, None, {"channel": Channel.PAD}, "NOT_RATER"),  # a pad rates as the pad
        ("R-1", 9, None, {}, "INVALID_LEVEL"),
        ("R-1", 1, None, {}, "REASON_REQUIRED"),
        ("R-1", 5, None, {"comment": "好" * 501}, "TOO_LONG"),
        (
            "R-1",
            5,
            Rater(role="window_staff", key="staff:x"),
            {"channel": Channel.PAPER},
            "STAFF_CODE_REQUIRED",
        ),
    ],
)
async def test_what_is_refused_and_why(
    rate: Any, number: str, level: int, rater: Rater | None, given: dict[str, Any], code: str
) -> None:
    assert refused(await rate(number, level, rater, **given)) == code
    assert (await case_row("R-1"))["rating_status"] == "UNRATED"  # nothing written


async def test_a_retried_request_gets_its_first_answer_and_is_stored_once(rate: Any) -> None:
    first = await rate("R-1", 4, client_request_id="req-1")
    again = await rate("R-1", 2, client_request_id="req-1", comment="重试时改了主意")
    assert isinstance(first, Accepted) and again == first
    assert len(await fetch(connection(), "SELECT id FROM rating")) == 1
    assert (await case_row("R-1"))["level"] == 4


async def test_an_accepted_bad_rating_opens_a_callback_and_a_good_one_closes_it(
    rate: Any,
) -> None:
    assert isinstance(await rate("R-1", 1, comment="材料被要求提交了三次"), Accepted)
    callbacks = "SELECT status, close_reason FROM callback ORDER BY id"
    assert await fetch(connection(), callbacks) == [{"status": "OPEN", "close_reason": None}]
    assert isinstance(await rate("R-1", 5), Accepted)
    assert await fetch(connection(), callbacks) == [
        {"status": "CLOSED", "close_reason": "RATING_CHANGED"}
    ]
