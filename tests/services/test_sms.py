"""SMS reminders leave through a gateway with retries and no double delivery; a reply from
the rater's phone becomes a rating on channel SMS."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from models.db import as_utc, connection, execute, fetch
from rules import Engine, QuietHours
from server.sms_gateway import DevFileSender, HttpGatewaySender
from server.sweeper import Sweeper
from services.sms import SmsSendError, deliver_due, is_mobile, parse_reply
from services.vault import Vault
from tests.conftest import DATA_KEY, SMS_SECRET, Api, serving, token
from tests.factories import CHEN, COMPANY, INGEST, WANG, case_input


class MockGateway:
    """A local HTTP server with the gateway's protocol; fails the first `failures` calls."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[dict[str, Any]] = []

    async def endpoint(self, request: Request) -> JSONResponse:
        self.received.append(await request.json())
        if len(self.received) <= self.failures:
            return JSONResponse({"error": "busy"}, status_code=503)
        return JSONResponse({"accepted": True})


@pytest.fixture
async def gateway() -> AsyncIterator[tuple[MockGateway, str]]:
    mock = MockGateway(failures=1)
    app = Starlette(routes=[Route("/send", mock.endpoint, methods=["POST"])])
    async with serving(app) as where:
        yield mock, f"http://{where}/send"


class Recording:
    """A gateway that takes every message and remembers whom it was for."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, message_id: str, phone: str, text: str) -> None:
        self.sent.append(phone)


def beijing(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00")


def night(api: Api) -> QuietHours | None:
    """The quiet hours of the app's policy (rules.yaml: 21:00-08:00)."""
    return Engine.from_path(api.settings.rules_path).sms_quiet_hours


async def outbox() -> list[dict[str, Any]]:
    return await fetch(
        connection(),
        "SELECT c.case_no, o.status, o.attempts, o.next_attempt_at, o.last_error "
        "FROM sms_outbox o JOIN case_record c ON c.id = o.case_id ORDER BY c.case_no",
    )


async def queue_reminder(
    api: Api, case_no: str, status: str = "PENDING", applicant: dict[str, Any] = WANG
) -> None:
    cases = [case_input(case_no, applicant)]
    body = await api.gql(INGEST, {"cases": cases}, token("system"))
    assert body["data"]["ingestCases"]["acceptedCount"] == 1
    await execute(
        connection(),
        "INSERT INTO sms_outbox (case_id, purpose, phone_enc, key_id, body, status, attempts, "
        "next_attempt_at, created_at, sent_at) SELECT c.id, 'rating_reminder', a.phone_enc, "
        "a.key_id, ?, ?, 0, ?, ?, ? FROM case_record c JOIN applicant a ON a.id = c.applicant_id "
        "WHERE c.case_no = ?",
        [
            f"请评价办件{case_no}",
            status,
            api.clock.now,
            api.clock.now,
            api.clock.now if status == "SENT" else None,
            case_no,
        ],
    )


async def test_a_reminder_is_retried_after_a_gateway_error_and_sent_once(
    api: Api, gateway: tuple[MockGateway, str]
) -> None:
    mock, url = gateway
    await queue_reminder(api, "S-1")
    vault = Vault.from_ring(DATA_KEY)
    async with httpx.AsyncClient() as client:
        sender = HttpGatewaySender(client, url, token="gw-token")
        first = await deliver_due(sender=sender, vault=vault, now=api.clock.now)
        assert (first.sent, first.retrying) == (0, 1)
        again = await deliver_due(sender=sender, vault=vault, now=api.clock.now)
        assert again.sent == again.retrying == 0  # backing off, nothing re-sent at once
        later = await deliver_due(
            sender=sender, vault=vault, now=api.clock.now + timedelta(minutes=10)
        )
        assert later.sent == 1
        done = await deliver_due(sender=sender, vault=vault, now=api.clock.now + timedelta(hours=1))
        assert done.sent == done.retrying == 0
    assert [m["to"] for m in mock.received] == [WANG["phone"], WANG["phone"]]
    assert mock.received[0]["messageId"] == mock.received[1]["messageId"]
    row = (await fetch(connection(), "SELECT status, phone_enc FROM sms_outbox"))[0]
    assert row["status"] == "SENT" and WANG["phone"] not in row["phone_enc"]


async def test_a_message_that_cannot_be_decrypted_is_given_up_not_retried_forever(
    api: Api, tmp_path: Path
) -> None:
    await queue_reminder(api, "S-7")
    await queue_reminder(api, "S-8")
    await execute(
        connection(),
        "UPDATE sms_outbox SET key_id = 'gone' WHERE case_id = "
        "(SELECT id FROM case_record WHERE case_no = 'S-7')",
    )
    sink = tmp_path / "sms.log"
    sender, vault = DevFileSender(sink), Vault.from_ring(DATA_KEY)
    report = await deliver_due(sender=sender, vault=vault, now=api.clock.now)
    assert (report.sent, report.failed, report.retrying) == (1, 1, 0)
    later = await deliver_due(sender=sender, vault=vault, now=api.clock.now + timedelta(days=1))
    assert later.sent == later.failed == later.retrying == 0
    rows = await fetch(
        connection(),
        "SELECT c.case_no, m.status, m.last_error FROM sms_outbox m "
        "JOIN case_record c ON c.id = m.case_id ORDER BY c.case_no",
    )
    assert [(r["case_no"], r["status"], r["last_error"]) for r in rows] == [
        ("S-7", "FAILED", "UNREADABLE key gone"),
        ("S-8", "SENT", None),
    ]


async def test_the_dev_gateway_writes_masked_numbers(api: Api, tmp_path: Path) -> None:
    await queue_reminder(api, "S-2")
    sink = tmp_path / "sms.log"
    report = await deliver_due(
        sender=DevFileSender(sink), vault=Vault.from_ring(DATA_KEY), now=api.clock.now
    )
    assert report.sent == 1
    line = json.loads(sink.read_text(encoding="utf-8"))
    assert line["to"] == "138****0001" and "S-2" in line["text"]


async def reply(api: Api, sender: str, text: str, secret: str = SMS_SECRET) -> httpx.Response:
    return await api.client.post(
        "/sms/inbound", json={"from": sender, "text": text}, headers={"X-HCP-SMS-Secret": secret}
    )


async def test_a_reply_from_the_raters_phone_becomes_a_rating(api: Api) -> None:
    await queue_reminder(api, "S-3", status="SENT")
    refused = await reply(api, WANG["phone"], "2")
    assert refused.json() == {"status": "rejected", "code": "REASON_REQUIRED"}
    accepted = await reply(api, WANG["phone"], "2 窗口态度生硬")
    assert accepted.json() == {"status": "accepted", "appliesTo": ["S-3"]}
    relabelled = await reply(api, WANG["phone"], "非常满意")
    assert relabelled.json()["status"] == "accepted"
    rows = await fetch(
        connection(), "SELECT level, channel, comment, effective FROM rating ORDER BY id"
    )
    assert [(r["level"], r["channel"], r["comment"], bool(r["effective"])) for r in rows] == [
        (2, "SMS", "窗口态度生硬", False),
        (5, "SMS", None, True),
    ]


async def test_replies_from_strangers_or_without_the_secret_rate_nothing(api: Api) -> None:
    await queue_reminder(api, "S-4", status="SENT")
    assert (await reply(api, CHEN["phone"], "5")).json()["code"] == "NOT_FOUND"
    assert (await reply(api, WANG["phone"], "5", secret="guess")).status_code == 403
    bad = await api.client.post(
        "/sms/inbound", content=b"not json", headers={"X-HCP-SMS-Secret": SMS_SECRET}
    )
    assert bad.status_code == 400
    assert (await reply(api, WANG["phone"], "谢谢")).json()["code"] == "INVALID_LEVEL"
    assert (await fetch(connection(), "SELECT COUNT(*) AS n FROM rating"))[0]["n"] == 0


async def test_hostile_json_from_the_gateway_is_bad_input_not_a_500(api: Api) -> None:
    await queue_reminder(api, "S-5", status="SENT")
    phone = WANG["phone"].encode()
    hostile = [
        # A raw UTF-8-encoded lone surrogate inside the reply's text.
        b'{"from": "' + phone + b'", "text": "2 ' + bytes([0xED, 0xA0, 0x80]) + b'"}',
        b"[" * 100_000 + b"]" * 100_000,
    ]
    for body in hostile:
        answer = await api.client.post(
            "/sms/inbound", content=body, headers={"X-HCP-SMS-Secret": SMS_SECRET}
        )
        assert (answer.status_code, answer.json()) == (400, {"error": "BAD_INPUT"}), body[:40]
    assert (await fetch(connection(), "SELECT COUNT(*) AS n FROM rating"))[0]["n"] == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5", (5, "")),
        (" 1，太慢了", (1, "太慢了")),
        ("非常不满意 排队两小时", (1, "排队两小时")),
        ("不满意", (2, "")),
        ("满意", (4, "")),
        ("12", None),
        ("好", None),
        ("5分", (5, "")),
        ("2分，态度生硬", (2, "态度生硬")),
        ("2分钟就办完了", (2, "分钟就办完了")),
    ],
)
def test_replies_are_read_as_people_write_them(text: str, expected: tuple[int, str] | None) -> None:
    labels = {"非常满意": 5, "满意": 4, "基本满意": 3, "不满意": 2, "非常不满意": 1}
    assert parse_reply(text, labels) == expected


async def test_nothing_is_sent_in_the_quiet_hours_and_everything_from_their_end(api: Api) -> None:
    """The 05:39 reminder of the issue: due in the night, it waits for 08:00."""
    await queue_reminder(api, "Q-1")
    quiet = night(api)
    assert quiet is not None
    vault, gateway = Vault.from_ring(DATA_KEY), Recording()
    for when in ("2026-11-20T21:00", "2026-11-20T23:59", "2026-11-21T00:00", "2026-11-21T05:39"):
        report = await deliver_due(
            sender=gateway, vault=vault, now=beijing(when), quiet_hours=quiet
        )
        assert (report.sent, report.retrying, report.failed) == (0, 0, 0), when
    assert gateway.sent == []
    [row] = await outbox()
    assert (row["status"], row["attempts"]) == ("PENDING", 0)  # not even claimed
    morning = await deliver_due(
        sender=gateway, vault=vault, now=beijing("2026-11-21T08:00"), quiet_hours=quiet
    )
    assert morning.sent == 1 and gateway.sent == [WANG["phone"]]


async def test_a_retry_whose_back_off_ends_at_night_waits_for_the_morning(
    api: Api, gateway: tuple[MockGateway, str]
) -> None:
    mock, url = gateway  # refuses the first message
    await queue_reminder(api, "Q-2")
    vault, quiet = Vault.from_ring(DATA_KEY), night(api)
    async with httpx.AsyncClient() as client:
        sender = HttpGatewaySender(client, url, token="gw-token")
        first = await deliver_due(
            sender=sender, vault=vault, now=beijing("2026-11-20T20:59"), quiet_hours=quiet
        )
        assert first.retrying == 1
        [row] = await outbox()
        # Two minutes' back-off would be 21:01, inside the quiet hours: the morning instead.
        assert as_utc(row["next_attempt_at"]) == beijing("2026-11-21T08:00")
        # Even a pass that knows no quiet hours (a worker not told them) leaves it be.
        early = await deliver_due(sender=sender, vault=vault, now=beijing("2026-11-21T07:59"))
        assert early.sent == early.retrying == 0
        later = await deliver_due(
            sender=sender, vault=vault, now=beijing("2026-11-21T08:00"), quiet_hours=quiet
        )
        assert later.sent == 1
    assert len(mock.received) == 2


async def test_a_landline_gets_no_sms_and_the_message_is_given_up(api: Api) -> None:
    await queue_reminder(api, "L-1", applicant=COMPANY)
    await queue_reminder(api, "L-2", applicant=CHEN)
    gateway = Recording()
    vault = Vault.from_ring(DATA_KEY)
    report = await deliver_due(sender=gateway, vault=vault, now=api.clock.now)
    assert (report.sent, report.not_mobile, report.failed, report.retrying) == (1, 1, 0, 0)
    assert gateway.sent == [CHEN["phone"]]  # the gateway never saw the landline
    rows = await outbox()
    assert [(r["case_no"], r["status"], r["last_error"]) for r in rows] == [
        ("L-1", "FAILED", "NOT_MOBILE"),
        ("L-2", "SENT", None),
    ]
    later = await deliver_due(sender=gateway, vault=vault, now=api.clock.now + timedelta(days=1))
    assert later == type(report)(sent=0, retrying=0, failed=0, not_mobile=0)
    assert gateway.sent == [CHEN["phone"]]


@pytest.mark.parametrize(
    ("phone", "mobile"),
    [
        ("13800000001", True),
        ("+8619912345678", True),
        ("8615012345678", True),
        ("057488000001", False),  # a company's landline (宁波 0574)
        ("02088888888", False),
        ("12345", False),
        ("12012345678", False),  # no mobile network numbers from 12
        ("138000000011", False),
    ],
)
def test_only_mainland_mobile_numbers_count_as_mobile(phone: str, mobile: bool) -> None:
    assert is_mobile(phone) is mobile


async def test_the_serve_and_worker_pass_keeps_the_policys_quiet_hours(api: Api) -> None:
    """server.sweeper's pass (hcp serve and hcp worker) hands the active policy's quiet
    hours to the delivery: the queued reminder waits out the night."""
    await queue_reminder(api, "Q-PASS")
    gateway = Recording()
    at = beijing("2026-11-21T05:39")
    sweeper = Sweeper(
        engine=Engine.from_path(api.settings.rules_path),
        sender=gateway,
        vault=Vault.from_ring(DATA_KEY),
        link_base="https://hcp.example.test/m/?case=",
        interval=60,
        clock=lambda: at,
    )
    await sweeper.run_pass(asyncio.Event())
    assert gateway.sent == []
    at = beijing("2026-11-21T08:00")
    await sweeper.run_pass(asyncio.Event())
    assert gateway.sent == [WANG["phone"]]


class FailingFor:
    """A gateway that refuses the messages to one phone and takes the rest."""

    def __init__(self, refused: str) -> None:
        self.refused = refused
        self.calls: list[str] = []

    async def send(self, message_id: str, phone: str, text: str) -> None:
        self.calls.append(message_id)
        if phone == self.refused:
            raise SmsSendError("busy")


async def test_one_pass_delivers_the_whole_backlog_a_batch_at_a_time_trying_each_once(
    api: Api,
) -> None:
    for number in range(5):
        await queue_reminder(api, f"B-{number}")
    await queue_reminder(api, "B-chen", applicant=CHEN)
    sender = FailingFor(CHEN["phone"])
    stop = asyncio.Event()
    report = await deliver_due(
        sender=sender, vault=Vault.from_ring(DATA_KEY), now=api.clock.now, batch_size=2, stop=stop
    )
    # Three batches of two, and a fourth that finds nothing: the refused message waits
    # for its back-off instead of being tried again within the pass.
    assert (report.sent, report.retrying, report.failed) == (5, 1, 0)
    assert len(sender.calls) == len(set(sender.calls)) == 6
    assert [row["status"] for row in await outbox()] == ["SENT"] * 5 + ["PENDING"]
    stop.set()
    await queue_reminder(api, "B-late")
    stopped = await deliver_due(
        sender=sender, vault=Vault.from_ring(DATA_KEY), now=api.clock.now, stop=stop
    )
    assert stopped.sent == 0  # a stopped pass leases nothing
