"""Reminder calls (提醒电话) from the sweep: binhai's "SMS or call" opens a call for the
case's department when the reminder SMS could not be delivered; a policy that reminds by
call opens one at once; a call nobody needs any more is cancelled; passes are idempotent
and concurrent sweeps open one call per case."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from tortoise.exceptions import IntegrityError

from models.db import as_utc, connection, execute
from rules import Engine, parse
from services.sms import MAX_ATTEMPTS, SmsSendError, deliver_due
from services.sweep_deadlines import SweepReport, sweep
from services.vault import Vault
from tests.conftest import DATA_KEY, Api, token
from tests.factories import CHEN, COMPANY, WANG
from tests.services.test_sweep import (
    NO_PHONE,
    PROFILES,
    at,
    completed,
    profile,
    rows,
    snapshot,
    template,
)

SUBMIT = """
mutation($input: RatingInput!) {
  submitRating(input: $input) { __typename ... on RatingRejected { code } }
}
"""


def chores(report: SweepReport) -> SweepReport:
    """The report without the statistics' recount, which every pass after a write does
    (tests/api/test_statistics.py checks what it counts)."""
    return replace(report, statistics_cells_recounted=0)


class Unreachable:
    """An SMS gateway that never takes a message for the given phone."""

    def __init__(self, phone: str) -> None:
        self.phone = phone
        self.sent: list[str] = []

    async def send(self, message_id: str, phone: str, text: str) -> None:
        if phone == self.phone:
            raise SmsSendError
        self.sent.append(phone)


def call_only() -> Engine:
    """binhai's policy, reminding by a call instead of an SMS first."""
    text = (PROFILES / "binhai.yaml").read_text(encoding="utf-8")
    assert text.count("via: [SMS, CALL]") == 1
    return Engine(parse(text.replace("via: [SMS, CALL]", "via: [CALL]")))


async def calls() -> list[dict[str, Any]]:
    return await rows(
        "SELECT k.*, c.case_no, c.department_id AS case_department_id "
        "FROM reminder_call k JOIN case_record c ON c.id = k.case_id ORDER BY c.case_no"
    )


async def give_up_sms(sender: Unreachable, start: datetime) -> None:
    """Deliver until every attempt is used: a day between tries outlasts any backoff."""
    vault = Vault.from_ring(DATA_KEY)
    for attempt in range(MAX_ATTEMPTS):
        await deliver_due(sender=sender, vault=vault, now=start + timedelta(days=attempt))


async def rate(api: Api, case_no: str, person: dict[str, Any]) -> None:
    citizen = token("citizen", id_number=person["idNumber"], name=person["name"])
    data = {"caseNo": case_no, "level": 5, "channel": "APP"}
    body = await api.gql(SUBMIT, {"input": data}, citizen)
    assert body["data"]["submitRating"]["__typename"] == "RatingAccepted", body


async def test_binhai_calls_when_the_reminder_sms_could_not_be_delivered(api: Api) -> None:
    await api.ingest(
        completed("B-1", "2026-11-16T10:00:00+08:00"),
        completed("B-2", "2026-11-16T10:00:00+08:00", applicant=CHEN),
    )
    engine = profile("binhai")
    texted = await sweep(engine=engine, now=at("2026-11-17T10:01:00+08:00"))
    assert chores(texted) == SweepReport(reminders_queued=2)
    assert await calls() == []
    await give_up_sms(Unreachable(WANG["phone"]), at("2026-11-17T10:02:00+08:00"))
    outbox = await rows(
        "SELECT c.case_no, o.status FROM sms_outbox o JOIN case_record c ON c.id = o.case_id "
        "ORDER BY c.case_no"
    )
    assert [(r["case_no"], r["status"]) for r in outbox] == [("B-1", "FAILED"), ("B-2", "SENT")]

    now = at("2026-11-21T12:00:00+08:00")
    fallback = await sweep(engine=engine, now=now)
    assert chores(fallback) == SweepReport(reminders_queued=1, reminder_calls_queued=1)
    [call] = await calls()
    assert (call["case_no"], call["reason"], call["status"]) == ("B-1", "SMS_FAILED", "OPEN")
    assert (call["attempts"], call["last_outcome"], call["closed_at"]) == (0, None, None)
    assert call["department_id"] == call["case_department_id"]
    assert as_utc(call["opened_at"]) == now
    assert WANG["phone"] not in " ".join(str(value) for value in call.values())

    state = await snapshot()
    assert chores(await sweep(engine=engine, now=now)) == SweepReport()
    assert await snapshot() == state

    await rate(api, "B-1", WANG)
    later = at("2026-11-21T15:00:00+08:00")
    cancelled = await sweep(engine=engine, now=later)
    assert chores(cancelled) == SweepReport(reminder_calls_cancelled=1)
    [call] = await calls()
    assert (call["status"], call["last_outcome"]) == ("CLOSED", "CANCELLED")
    assert as_utc(call["closed_at"]) == later
    assert chores(await sweep(engine=engine, now=later)) == SweepReport()


async def test_a_delivered_or_pending_sms_opens_no_call(api: Api) -> None:
    await api.ingest(completed("P-1", "2026-11-16T10:00:00+08:00"))
    engine = profile("binhai")
    assert (await sweep(engine=engine, now=at("2026-11-17T11:00:00+08:00"))).reminders_queued == 1
    # One failed try: the message is retried, not given up.
    vault = Vault.from_ring(DATA_KEY)
    sender = Unreachable(WANG["phone"])
    await deliver_due(sender=sender, vault=vault, now=at("2026-11-17T11:01:00+08:00"))
    again = await sweep(engine=engine, now=at("2026-11-17T12:00:00+08:00"))
    assert chores(again) == SweepReport()
    assert await calls() == []


async def test_a_policy_that_reminds_by_call_opens_calls_not_sms(api: Api) -> None:
    await api.ingest(
        completed("K-1", "2026-11-16T10:00:00+08:00"),
        completed("K-2", "2026-11-16T11:00:00+08:00", applicant=NO_PHONE),
        completed("K-3", "2026-11-17T09:00:00+08:00", applicant=CHEN),
    )
    engine = call_only()
    now = at("2026-11-17T12:00:00+08:00")
    report = await sweep(engine=engine, now=now)
    assert chores(report) == SweepReport(reminders_queued=1, reminder_calls_queued=1)
    assert await rows("SELECT id FROM sms_outbox") == []
    [call] = await calls()
    assert (call["case_no"], call["reason"], call["status"]) == ("K-1", "DUE", "OPEN")
    reminded = await rows("SELECT case_no, reminded_at FROM case_record ORDER BY case_no")
    assert [(r["case_no"], as_utc(r["reminded_at"])) for r in reminded] == [
        ("K-1", now),
        ("K-2", None),  # no phone: nobody to call
        ("K-3", None),  # not 24 hours yet
    ]
    state = await snapshot()
    assert chores(await sweep(engine=engine, now=now)) == SweepReport()
    assert await snapshot() == state

    nextday = await sweep(engine=engine, now=at("2026-11-18T12:00:00+08:00"))
    assert chores(nextday) == SweepReport(reminders_queued=1, reminder_calls_queued=1)
    assert [c["case_no"] for c in await calls()] == ["K-1", "K-3"]


async def test_a_call_past_the_reminder_period_is_cancelled(api: Api) -> None:
    # binhai has neither a rating window nor a default: the case stays unrated, and only
    # the reminder period (the catch-up after it fell due) ends the call.
    await api.ingest(completed("L-1", "2026-11-16T10:00:00+08:00"))
    engine = call_only()
    assert (await sweep(engine=engine, now=at("2026-11-17T12:00:00+08:00"))).reminder_calls_queued
    still = await sweep(engine=engine, now=at("2026-11-23T12:00:00+08:00"))
    assert chores(still) == SweepReport()
    over = await sweep(engine=engine, now=at("2026-11-25T12:00:00+08:00"))
    assert chores(over) == SweepReport(reminder_calls_cancelled=1)
    [call] = await calls()
    assert (call["status"], call["last_outcome"]) == ("CLOSED", "CANCELLED")
    assert [r["rating_status"] for r in await rows("SELECT rating_status FROM case_record")] == [
        "UNRATED"
    ]


async def test_a_defaulted_or_expired_case_has_its_call_cancelled(api: Api) -> None:
    await api.ingest(completed("X-1", "2026-11-16T10:00:00+08:00"))
    assert chores(await sweep(engine=call_only(), now=at("2026-11-17T12:00:00+08:00"))) == (
        SweepReport(reminders_queued=1, reminder_calls_queued=1)
    )
    # min_an defaults after 7 natural days and has no reminder: the default closes the call.
    defaulted = await sweep(engine=profile("min_an"), now=at("2026-11-24T12:00:00+08:00"))
    assert chores(defaulted) == SweepReport(defaults_applied=1, reminder_calls_cancelled=1)
    [call] = await calls()
    assert (call["status"], call["last_outcome"]) == ("CLOSED", "CANCELLED")


async def test_two_sweeps_at_once_open_one_call_per_case(api: Api) -> None:
    due = [completed(f"Q-{i:02d}", "2026-11-16T10:00:00+08:00") for i in range(14)]
    unreached = [completed(f"U-{i:02d}", "2026-11-15T10:00:00+08:00") for i in range(14)]
    await api.ingest(*unreached)
    binhai = profile("binhai")
    texted = await sweep(engine=binhai, now=at("2026-11-16T12:00:00+08:00"))
    assert texted.reminders_queued == 14
    await execute(connection(), "UPDATE sms_outbox SET status = 'FAILED'")
    await api.ingest(*due)
    now = at("2026-11-17T12:00:00+08:00")
    engine = call_only()
    first, second = await asyncio.gather(
        sweep(engine=engine, now=now, batch_size=3), sweep(engine=engine, now=now, batch_size=3)
    )
    assert first.reminder_calls_queued + second.reminder_calls_queued == 14
    fallback = await asyncio.gather(
        sweep(engine=binhai, now=now, batch_size=3), sweep(engine=binhai, now=now, batch_size=3)
    )
    assert sum(r.reminder_calls_queued for r in fallback) == 14
    assert sum(r.reminders_queued for r in fallback) == 14  # the calls; nobody texted again
    per_reason = await rows(
        "SELECT reason, count(*) AS n, count(DISTINCT case_id) AS cases FROM reminder_call "
        "GROUP BY reason ORDER BY reason"
    )
    assert per_reason == [
        {"reason": "DUE", "n": 14, "cases": 14},
        {"reason": "SMS_FAILED", "n": 14, "cases": 14},
    ]
    # The database itself holds a case to one call.
    with pytest.raises(IntegrityError):
        await execute(
            connection(),
            "INSERT INTO reminder_call (case_id, department_id, reason, status, attempts, "
            "opened_at) SELECT case_id, department_id, 'DUE', 'OPEN', 0, opened_at "
            "FROM reminder_call WHERE id = (SELECT MIN(id) FROM reminder_call)",
        )


async def test_a_landline_gets_a_reminder_call_instead_of_an_sms(api: Api) -> None:
    """A company's landline takes no SMS: delivery gives up on it without asking the
    gateway, and binhai's [SMS, CALL] has the department call it at the next sweep."""
    await api.ingest(
        completed("M-1", "2026-11-16T10:00:00+08:00", applicant=COMPANY),
        completed("M-2", "2026-11-16T10:00:00+08:00"),
    )
    engine = profile("binhai")
    assert (await sweep(engine=engine, now=at("2026-11-17T10:01:00+08:00"))).reminders_queued == 2
    gateway = Unreachable("nobody")
    report = await deliver_due(
        sender=gateway,
        vault=Vault.from_ring(DATA_KEY),
        now=at("2026-11-17T10:02:00+08:00"),
        quiet_hours=engine.sms_quiet_hours,
    )
    assert (report.sent, report.not_mobile, report.failed) == (1, 1, 0)
    assert gateway.sent == [WANG["phone"]]
    outbox = await rows(
        "SELECT c.case_no, o.status, o.last_error FROM sms_outbox o "
        "JOIN case_record c ON c.id = o.case_id ORDER BY c.case_no"
    )
    assert [(r["case_no"], r["status"], r["last_error"]) for r in outbox] == [
        ("M-1", "FAILED", "NOT_MOBILE"),
        ("M-2", "SENT", None),
    ]
    called = await sweep(engine=engine, now=at("2026-11-17T10:03:00+08:00"))
    assert chores(called) == SweepReport(reminders_queued=1, reminder_calls_queued=1)
    [call] = await calls()
    assert (call["case_no"], call["reason"], call["status"]) == ("M-1", "SMS_FAILED", "OPEN")
    assert COMPANY["phone"] not in " ".join(str(value) for value in call.values())


async def test_with_sms_only_a_landline_gets_nothing_more(api: Api) -> None:
    await api.ingest(completed("M-3", "2026-11-16T10:00:00+08:00", applicant=COMPANY))
    engine = template(api)  # via: [SMS]
    assert (await sweep(engine=engine, now=at("2026-11-17T11:00:00+08:00"))).reminders_queued == 1
    gateway = Unreachable("nobody")
    vault = Vault.from_ring(DATA_KEY)
    report = await deliver_due(sender=gateway, vault=vault, now=at("2026-11-17T11:01:00+08:00"))
    assert report.not_mobile == 1 and gateway.sent == []
    assert chores(await sweep(engine=engine, now=at("2026-11-17T12:00:00+08:00"))) == SweepReport()
    assert await calls() == []


async def test_the_quiet_hours_hold_back_the_sms_not_the_calls(api: Api) -> None:
    await api.ingest(
        completed("N-1", "2026-11-16T22:00:00+08:00"),
        completed("N-2", "2026-11-16T22:00:00+08:00", applicant=CHEN),
    )
    night = at("2026-11-17T23:00:00+08:00")
    assert chores(await sweep(engine=profile("binhai"), now=night)) == SweepReport()
    assert await rows("SELECT id FROM sms_outbox") == []
    # A policy reminding by a call puts it on the department's list at any hour: the
    # department's staff make it in their working hours.
    called = await sweep(engine=call_only(), now=night)
    assert chores(called) == SweepReport(reminders_queued=2, reminder_calls_queued=2)
