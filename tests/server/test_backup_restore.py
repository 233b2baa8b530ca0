"""The backup round trip of docs/operations.md, with the scripts in deploy/: ratings given
through a running `hcp serve` on PostgreSQL, deploy/backup.sh while it serves,
deploy/restore.sh into a new database, and the service started on that database with the
same data key serves the same ratings and takes new ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATA_KEY, SECRET, citizen, new_postgres_database
from tests.factories import CHEN, COMPANY, WANG
from tests.server.test_serve import HCP, Served

ROOT = Path(__file__).resolve().parents[2]
BACKUP = ROOT / "deploy" / "backup.sh"
RESTORE = ROOT / "deploy" / "restore.sh"
HCP_BIN = Path(sys.executable).parent / "hcp"

pytestmark = pytest.mark.postgres

OWN_VIEW = """{ myCases(first: 50) { totalCount nodes {
  caseNo status ratingStatus applicant { kind name idNumber phone }
  effectiveRating { id level category tags comment channel ratedAt effective }
  ratings { id level category comment channel ratedAt effective }
} } }"""
RATE = """mutation($i: RatingInput!) { submitRating(input: $i) {
  __typename
  ... on RatingAccepted { status rating { id level } }
  ... on RatingRejected { code message }
} }"""
PEOPLE = {"wang": WANG, "chen": CHEN, "company": COMPANY}


@dataclass
class BackedUp:
    source: str
    dump: Path
    env: dict[str, str]
    views: dict[str, Any]
    tmp: Path


def _env(tmp: Path, database: str) -> dict[str, str]:
    return {
        "HCP_ENV": "dev",
        "HCP_VAR_DIR": str(tmp),
        "HCP_DATABASE_URL": database,
        "HCP_REDIS_URL": "",
        "HCP_JWT_SECRET": SECRET,
        "HCP_DATA_KEY": DATA_KEY,
        # No deadline sweep: defaults it applied after the backup would differ by design.
        "HCP_SWEEP": "worker",
        "HCP_BIN": str(HCP_BIN),
    }


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _views(served: Served) -> dict[str, Any]:
    """What each demo applicant sees of their own cases: their name decrypted, every rating."""
    return {who: served.gql(OWN_VIEW, citizen(person)) for who, person in PEOPLE.items()}


def _rateable(view: dict[str, Any]) -> list[str]:
    return [
        n["caseNo"]
        for n in view["data"]["myCases"]["nodes"]
        if n["status"] == "COMPLETED" and n["ratingStatus"] == "UNRATED"
    ]


def _rate(served: Served, person: dict[str, str], case_no: str, level: int, comment: str) -> Any:
    variables: dict[str, object] = {
        "i": {"caseNo": case_no, "level": level, "channel": "APP", "comment": comment}
    }
    return served.gql(RATE, citizen(person), variables)["data"]["submitRating"]  # type: ignore[index]


def _rating_ids(views: dict[str, Any]) -> set[int]:
    return {
        int(r["id"])
        for view in views.values()
        for node in view["data"]["myCases"]["nodes"]
        for r in node["ratings"]
    }


@pytest.fixture(scope="module")
def backed_up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackedUp]:
    """The demo on a new PostgreSQL database, rated through the API, then backed up while
    the service runs."""
    tmp = tmp_path_factory.mktemp("backup")
    with new_postgres_database("hcp_backup") as source:
        env = _env(tmp, source)
        seeded = _run([*HCP, "seed-demo"], env)
        assert seeded.returncode == 0, seeded.stderr
        served = Served([], env, tmp / "source.log")
        try:
            before = _views(served)
            wang, chen = _rateable(before["wang"]), _rateable(before["chen"])
            assert len(wang) >= 2 and chen, before
            given = [
                _rate(served, WANG, wang[0], 5, "办得很快"),
                _rate(served, WANG, wang[1], 2, "等候时间太长"),
                _rate(served, CHEN, chen[0], 4, "窗口人员耐心"),
                # Latest wins: the first rating of this case stays in its history.
                _rate(served, WANG, wang[1], 3, "后来解决了"),
            ]
            assert all(g["__typename"] == "RatingAccepted" for g in given), given
            views = _views(served)
            backup = _run([str(BACKUP), "--database", source, str(tmp)], env)
        finally:
            served.stop()
        assert backup.returncode == 0, backup.stderr
        dump = Path(json.loads(backup.stdout.strip().splitlines()[-1])["backup"])
        yield BackedUp(source, dump, env, views, tmp)


@pytest.fixture
def empty_database(backed_up: BackedUp) -> Iterator[str]:
    with new_postgres_database("hcp_restored") as url:
        yield url


def test_the_backup_is_a_checked_private_custom_format_dump(backed_up: BackedUp) -> None:
    assert backed_up.dump.parent == backed_up.tmp
    assert backed_up.dump.name.startswith(f"hcp-{backed_up.source.rsplit('/', 1)[1]}-")
    assert backed_up.dump.stat().st_mode & 0o077 == 0
    assert backed_up.dump.read_bytes()[:5] == b"PGDMP"
    assert not list(backed_up.tmp.glob("*.partial"))


def test_a_restored_database_serves_the_same_ratings_and_takes_new_ones(
    backed_up: BackedUp, empty_database: str
) -> None:
    env = {**backed_up.env, "HCP_DATABASE_URL": empty_database}
    restored = _run([str(RESTORE), str(backed_up.dump), empty_database], env)
    assert restored.returncode == 0, restored.stderr
    assert json.loads(restored.stdout.strip().splitlines()[-1])["migrated"] is True
    served = Served([], env, backed_up.tmp / "restored.log")
    try:
        views = _views(served)
        assert views == backed_up.views
        rated = [n for n in views["wang"]["data"]["myCases"]["nodes"] if n["effectiveRating"]]
        assert len(rated) == 2 and all(n["applicant"]["name"] == WANG["name"] for n in rated)
        assert max(len(n["ratings"]) for n in rated) == 2
        # A new rating gets a new id: the sequences came back with the rows.
        case_no = _rateable(views["chen"])[0]
        new = _rate(served, CHEN, case_no, 1, "材料被退回三次")
        assert new["__typename"] == "RatingAccepted", new
        assert int(new["rating"]["id"]) > max(_rating_ids(backed_up.views))
        after = _views(served)["chen"]["data"]["myCases"]["nodes"]
        assert {n["caseNo"]: n["effectiveRating"]["level"] for n in after if n["effectiveRating"]}[
            case_no
        ] == 1
    finally:
        served.stop()


def test_restore_refuses_a_database_that_is_not_empty(backed_up: BackedUp) -> None:
    refused = _run([str(RESTORE), str(backed_up.dump), backed_up.source], backed_up.env)
    assert refused.returncode == 3, refused.stderr
    assert "refusing to restore" in refused.stderr
    # The source is untouched: its service still answers with what it had.
    served = Served([], backed_up.env, backed_up.tmp / "refused.log")
    try:
        assert _views(served) == backed_up.views
    finally:
        served.stop()
