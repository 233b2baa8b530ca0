"""Rotating the data key: every applicant and queued SMS moves to the new key, and what
citizens do afterwards ("my cases", SMS replies, retried ratings) still finds them."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from models.db import connection, execute, fetch
from rules import Engine
from server.sms_gateway import DevFileSender
from server.state import app_state, set_app_state
from services.ingest_cases import phone_lookup
from services.rotate_key import MissingKeyError, RotationReport, UnreadableRowError, rotate_key
from services.sms import deliver_due
from services.sweep_deadlines import sweep
from services.vault import Vault
from tests.conftest import DATA_KEY, ROOT, SMS_SECRET, Api, citizen, token
from tests.factories import CHEN, COMPANY, PEOPLE, WANG, case_input, person_id

NEW_KEY = "t2:" + base64.b64encode(b"n" * 32).decode()
RING = f"{NEW_KEY},{DATA_KEY}"
NOTHING = RotationReport(0, 0, 0, 0, 0, "t2")
HCP = [sys.executable, "-m", "server.cli"]
MY_CASES = "{ myCases(first: 20) { nodes { caseNo applicant { name idNumber phone } } } }"
SUBMIT = """
mutation($input: RatingInput!) {
  submitRating(input: $input) {
    __typename
    ... on RatingAccepted { rating { id level ratedAt } appliesTo }
    ... on RatingRejected { code }
  }
}
"""
HISTORY = "query($n: String!) { case(caseNo: $n) { ratings { level channel } } }"


@pytest.fixture
def restart(api: Api) -> Iterator[Callable[[str], None]]:
    """What restarting the service with another HCP_DATA_KEY does, on the running app
    (Tortoise's connections are process-wide, so a second app cannot be started here)."""
    started = app_state(api.app)

    def with_ring(ring: str) -> None:
        vault = Vault.from_ring(ring)
        set_app_state(
            api.app, replace(started, collaborators=replace(started.collaborators, vault=vault))
        )

    yield with_ring
    set_app_state(api.app, started)


async def my_cases(api: Api, person: dict[str, Any]) -> dict[str, dict[str, Any]]:
    body = await api.gql(MY_CASES, token=citizen(person))
    return {n["caseNo"]: n["applicant"] for n in body["data"]["myCases"]["nodes"]}


async def rate(api: Api, person: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = await api.gql(SUBMIT, {"input": {"channel": "APP", **fields}}, citizen(person))
    result: dict[str, Any] = body["data"]["submitRating"]
    return result


async def sms_reply(api: Api, person: dict[str, Any], text: str) -> Any:
    response = await api.client.post(
        "/sms/inbound",
        json={"from": person["phone"], "text": text},
        headers={"X-HCP-SMS-Secret": SMS_SECRET},
    )
    return response.json()


async def table(name: str) -> list[dict[str, Any]]:
    return await fetch(connection(), f"SELECT * FROM {name} ORDER BY id")


def old_hashes() -> set[str]:
    old = Vault.from_ring(DATA_KEY)
    return {old.lookup_hash(p["idNumber"]) for p in PEOPLE} | {
        phone_lookup(old, p["phone"]) for p in PEOPLE
    }


async def test_every_applicant_moves_and_citizens_still_find_their_cases(
    api: Api, restart: Callable[[str], None], tmp_path: Path
) -> None:
    await api.ingest(
        case_input("R-1"),
        case_input("R-2"),
        case_input("R-3", CHEN),
        case_input("R-4", COMPANY),
    )
    await sweep(engine=Engine.from_path(api.settings.rules_path), now=api.clock.now)
    sent = await deliver_due(
        sender=DevFileSender(tmp_path / "sms.log"),
        vault=Vault.from_ring(DATA_KEY),
        now=api.clock.now,
    )
    # The company's number is a landline: no SMS (services.sms), the other three are sent.
    assert (sent.sent, sent.not_mobile) == (3, 1)
    first = await rate(api, WANG, caseNo="R-1", level=5, clientRequestId="req-1")
    assert first["__typename"] == "RatingAccepted"
    assert (await sms_reply(api, CHEN, "5"))["status"] == "accepted"

    told: list[tuple[str, int, int]] = []
    report = await rotate_key(
        vault=Vault.from_ring(RING), batch_size=2, progress=lambda *a: told.append(a)
    )

    # Two ratings and one idempotency record carried a rater key under the old key.
    assert report == RotationReport(
        resealed=3, rehashed=3, merged=0, rater_keys=3, sms_resealed=4, key_id="t2"
    )
    assert told == [
        ("applicants", 0, 3),
        ("applicants", 2, 3),
        ("applicants", 3, 3),
        ("sms messages", 0, 4),
        ("sms messages", 2, 4),
        ("sms messages", 4, 4),
    ]
    new_only = Vault.from_ring(NEW_KEY)
    people = {p["idNumber"]: p for p in PEOPLE}
    for row in await table("applicant"):
        person = people[new_only.open(row["id_number_enc"], "applicant.id_number", row["key_id"])]
        assert new_only.open(row["name_enc"], "applicant.name", row["key_id"]) == person["name"]
        assert new_only.open(row["phone_enc"], "applicant.phone", row["key_id"]) == person["phone"]
    for message in await table("sms_outbox"):
        phone = new_only.open(message["phone_enc"], "applicant.phone", message["key_id"])
        assert phone in {p["phone"] for p in PEOPLE}
    stored = json.dumps(
        [await table(t) for t in ("applicant", "rating", "rating_request")], default=str
    )
    assert not any(old in stored for old in old_hashes())

    restart(RING)
    assert await my_cases(api, WANG) == {
        "R-2": {"name": WANG["name"], "idNumber": WANG["idNumber"], "phone": WANG["phone"]},
        "R-1": {"name": WANG["name"], "idNumber": WANG["idNumber"], "phone": WANG["phone"]},
    }
    again = await rate(api, WANG, caseNo="R-1", level=1, clientRequestId="req-1")
    assert again == first
    history = await api.gql(HISTORY, {"n": "R-1"}, token("system"))
    assert history["data"]["case"]["ratings"] == [{"level": 5, "channel": "APP"}]
    assert (await sms_reply(api, CHEN, "4"))["status"] == "accepted"
    assert await rotate_key(vault=Vault.from_ring(RING)) == NOTHING


async def test_a_ring_without_the_old_key_is_refused_by_key_id(api: Api) -> None:
    await api.ingest(case_input("K-1"), case_input("K-2", CHEN))
    before = await table("applicant")
    with pytest.raises(MissingKeyError, match="'t1'") as refused:
        await rotate_key(vault=Vault.from_ring(NEW_KEY))
    for person in (WANG, CHEN):
        assert not any(person[f] in str(refused.value) for f in ("name", "idNumber", "phone"))
    assert await table("applicant") == before


async def test_an_interrupted_rotation_carries_on_where_it_stopped(api: Api) -> None:
    crowd = [
        {
            "name": f"申请人{i}",
            "idNumber": person_id(i),
            "phone": f"1390000{i:04d}",
            "kind": "PERSON",
        }
        for i in range(5)
    ]
    await api.ingest(*[case_input(f"N-{i}", person) for i, person in enumerate(crowd)])

    class Interrupted(Exception):
        pass

    def interrupt(what: str, done: int, total: int) -> None:
        if done:
            raise Interrupted

    with pytest.raises(Interrupted):
        await rotate_key(vault=Vault.from_ring(RING), batch_size=2, progress=interrupt)
    moved = [row["key_id"] for row in await table("applicant")]
    assert sorted(moved) == ["t1", "t1", "t1", "t2", "t2"]
    rest = await rotate_key(vault=Vault.from_ring(RING), batch_size=2)
    assert (rest.resealed, rest.rehashed) == (3, 3)
    new_only = Vault.from_ring(NEW_KEY)
    for person in crowd:
        found = await fetch(
            connection(),
            "SELECT key_id FROM applicant WHERE id_number_hash = ?",
            [new_only.lookup_hash(person["idNumber"])],
        )
        assert found == [{"key_id": "t2"}]


async def test_an_applicant_stored_again_under_the_new_key_is_folded_into_one(
    api: Api, restart: Callable[[str], None]
) -> None:
    await api.ingest(case_input("M-1"))
    first = await rate(api, WANG, caseNo="M-1", level=5, clientRequestId="req-9")
    # The service was started on the new ring before the rotation ran: intake does not
    # find Wang's row under the new lookup key and stores a second one, without a phone;
    # Wang's case M-1 is not his any more, and a retry of his rating is refused (as a case
    # that is not his: NOT_FOUND, like a missing one).
    restart(RING)
    await api.ingest(case_input("M-2", {k: v for k, v in WANG.items() if k != "phone"}))
    assert set(await my_cases(api, WANG)) == {"M-2"}
    retried = await rate(api, WANG, caseNo="M-1", level=5, clientRequestId="req-9")
    assert retried == {"__typename": "RatingRejected", "code": "NOT_FOUND"}
    report = await rotate_key(vault=Vault.from_ring(RING))
    assert (report.resealed, report.merged) == (0, 1)
    [applicant] = await table("applicant")
    assert applicant["key_id"] == "t2"
    cases = await my_cases(api, WANG)
    assert set(cases) == {"M-1", "M-2"}
    assert cases["M-1"]["phone"] == WANG["phone"]
    assert await rate(api, WANG, caseNo="M-1", level=1, clientRequestId="req-9") == first


async def test_a_row_that_does_not_open_is_named_without_its_data(api: Api) -> None:
    await api.ingest(case_input("B-1"), case_input("B-2", CHEN))
    [damaged] = await fetch(connection(), "SELECT id FROM applicant ORDER BY id DESC LIMIT 1")
    await execute(
        connection(),
        "UPDATE applicant SET name_enc = id_number_enc WHERE id = ?",
        [damaged["id"]],
    )
    with pytest.raises(UnreadableRowError) as refused:
        await rotate_key(vault=Vault.from_ring(RING))
    assert str(refused.value).startswith(f"applicant {damaged['id']}: its name")
    assert "'t1'" in str(refused.value)
    assert CHEN["name"] not in str(refused.value) and CHEN["idNumber"] not in str(refused.value)
    # The batch with the damaged row is rolled back whole.
    assert {row["key_id"] for row in await table("applicant")} == {"t1"}


def run_hcp(
    tmp_path: Path, *args: str, ring: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HCP_")}
    env.update(HCP_VAR_DIR=str(tmp_path), HCP_RULES=str(ROOT / "rules.yaml"), HCP_ENV="dev")
    if ring:
        env["HCP_DATA_KEY"] = ring
    return subprocess.run(
        [*HCP, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


PROGRESS = re.compile(r"^rotate-key: [\d,]+/[\d,]+ (applicants|sms messages) \(\d+%\)$")
PERSONAL = re.compile(r"[\u4e00-\u9fff]|\d{11}")


def test_hcp_rotate_key_reports_progress_and_one_json_line(tmp_path: Path) -> None:
    assert run_hcp(tmp_path, "seed-demo").returncode == 0
    assert run_hcp(tmp_path, "sweep").returncode == 0
    old = (tmp_path / "data.key").read_text(encoding="ascii").strip()
    ring = "dev2:" + base64.b64encode(b"d" * 32).decode() + "," + old

    done = run_hcp(tmp_path, "rotate-key", "--batch", "2", ring=ring)
    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    report = json.loads(line)
    assert report["key_id"] == "dev2"
    assert report["resealed"] == report["rehashed"] > 0
    shown = [s for s in done.stderr.splitlines() if s.startswith("rotate-key:")]
    assert shown and all(PROGRESS.match(s) for s in shown)
    assert any(s.endswith("applicants (100%)") for s in shown)
    assert not PERSONAL.search(done.stdout + done.stderr)

    again = run_hcp(tmp_path, "rotate-key", ring=ring)
    assert json.loads(again.stdout) == {**dict.fromkeys(report, 0), "key_id": "dev2"}

    refused = run_hcp(tmp_path, "rotate-key", ring=ring.split(",")[0].replace("dev2", "dev3"))
    assert refused.returncode == 1 and refused.stdout == ""
    assert "'dev2'" in refused.stderr and "Traceback" not in refused.stderr
    assert run_hcp(tmp_path, "rotate-key", "--batch", "0", ring=ring).returncode == 2
