"""`hcp seed-demo --history` (what `make run` serves): half a year of cases before the demo
week, rated through the real rating path, with the statistics counted from the start."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.services.test_sweep import run_hcp


def test_the_demo_history_is_rated_by_the_policy_and_counted(tmp_path: Path) -> None:
    done = run_hcp(tmp_path, "seed-demo", "--history")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["cases"] > 300
    with sqlite3.connect(tmp_path / "hcp.sqlite3") as db:
        rated = db.execute("SELECT count(*) FROM case_record WHERE rating_status = 'RATED'")
        bad = db.execute("SELECT count(*) FROM rating WHERE category = 'bad' AND effective")
        items = db.execute("SELECT count(*) FROM work_item")
        completed = db.execute("SELECT count(*) FROM case_record WHERE completed_at IS NOT NULL")
        counted = db.execute("SELECT sum(cases) FROM stat_daily")
        waiting = db.execute("SELECT count(*) FROM stat_dirty")
        [(n_rated,)], [(n_bad,)], [(n_items,)] = rated, bad, items
        [(n_completed,)], [(n_counted,)], [(n_waiting,)] = completed, counted, waiting
    assert n_rated > 250
    assert n_items == n_bad > 0  # every bad rating opened its work item
    assert n_counted == n_completed and n_waiting == 0
    again = run_hcp(tmp_path, "seed-demo", "--history")
    assert json.loads(again.stdout)["cases"] == 0  # seeded once
