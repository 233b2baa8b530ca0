"""The statistics' figures, on a database of their own (`<source>_stats`), filled in SQL:
N cases over one year in two districts (15 departments each, 4 windows per department in
the towns, 5 staff per window, 10 matters per department), each rated once (70 % 非常满意
… 3 % 非常不满意, one in seven a default rating), a work item with its timeline for every
bad rating (one in fifty upheld on appeal, one in five still open). Then

- `hcp stats rebuild` (services.stats_refresh.rebuild, what the command runs) over every
  day, next to a count(*) of the same cases joined to their ratings;
- the dashboard query: one district, one year, by month and department, every metric of
  rules.yaml, called through the service as the resolver does (access checks included),
  p99 next to the p99 of a `SELECT 1` round trip in the same run; and the same by day for
  one department (the trend a handler opens), and a staff ranking over the year.

    python -m bench.stats_bench [postgres://postgres@127.0.0.1:5432/hcp_bench] [cases]
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
from tortoise import Tortoise

from bench.report import Figure
from bench.scratch import scratch_database
from bench.sweep_bench import pass_figure
from bench.work_item_bench import _p99, _timed
from models.db import connection, fetch, tortoise_config
from models.stores.stat_reads import StatFilter
from rules import Engine
from services.identity import Principal, Role
from services.stat_ranking import ranking
from services.statistics import Dimension, Granularity, Period, statistics
from services.stats_refresh import rebuild

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = "postgres://postgres@127.0.0.1:5432/hcp_bench"
QUERY_TARGET_MS = 200.0
REBUILD_TARGET_S = 1800.0
CALLS = 60
YEAR = Period(date(2025, 12, 1), date(2026, 11, 30))
DISTRICTS = (("330283", "宁波市奉化区"), ("330212", "宁波市鄞州区"))
DEPARTMENTS_PER_DISTRICT = 15
CHUNK = 1_000_000

# Reference data, set-based: 2 districts of 6 towns; departments 1..30 (district by half);
# windows 4 per department (in a town of its district), staff 5 per window, matters 10 per
# department.
_REFERENCE = [
    "INSERT INTO region (code, name, parent_id) VALUES ('330200', '宁波市', NULL)",
    "INSERT INTO region (code, name, parent_id) SELECT d.code, d.name, "
    "(SELECT id FROM region WHERE code = '330200') FROM (VALUES "
    + ", ".join(f"({i}, '{code}', '{name}')" for i, (code, name) in enumerate(DISTRICTS))
    + ") AS d(i, code, name) ORDER BY d.i",
    "INSERT INTO region (code, name, parent_id) SELECT p.code || lpad(t::text, 3, '0'), "
    "p.name || '第' || t || '镇', p.id FROM region p, generate_series(1, 6) t "
    "WHERE p.code IN ('330283', '330212') ORDER BY p.id, t",
    "INSERT INTO department (code, name, region_id) SELECT 'BD-' || d, '部门' || d, "
    "(SELECT id FROM region WHERE code = CASE WHEN d <= 15 THEN '330283' ELSE '330212' END) "
    "FROM generate_series(1, 30) d",
    "INSERT INTO service_window (code, name, department_id) SELECT 'BW-' || w, '窗口' || w, "
    "(w - 1) / 4 + 1 FROM generate_series(1, 120) w",
    "INSERT INTO staff (code, name, department_id) SELECT 'BS-' || s, '工作人员' || s, "
    "(s - 1) / 20 + 1 FROM generate_series(1, 600) s",
    "INSERT INTO matter (code, name, type) SELECT 'BM-' || m, '事项' || m, 'LICENSING' "
    "FROM generate_series(1, 300) m",
    "INSERT INTO applicant (id_number_hash, kind, name_enc, id_number_enc, key_id, updated_at) "
    "SELECT md5('a' || a), 'PERSON', 'x', 'x', 'bench', now() FROM generate_series(1, 100000) a",
]
# Case g: department d, window w of d, staff of w, matter of d; completed evenly over the
# year; its town is the window's.
_CASES = """
INSERT INTO case_record (id, case_no, matter_id, department_id, region_id, window_id, staff_id,
  applicant_id, served_via, status, accepted_at, completed_at, updated_at, rating_status,
  effective_rating_id)
SELECT g, 'SB' || g, d * 10 - 9 + (g / 30) % 10, d,
  (SELECT t.id FROM region t WHERE t.code = CASE WHEN d <= 15 THEN '330283' ELSE '330212' END
     || lpad((1 + w % 6)::text, 3, '0')),
  w, w * 5 - 4 + (g / 120) % 5, 1 + g % 100000, 'WINDOW', 'COMPLETED',
  done - interval '1 hour', done, now(),
  CASE WHEN g % 7 = 0 THEN 'DEFAULTED' ELSE 'RATED' END, g
FROM (SELECT g, 1 + g % 30 AS d, (g % 30) * 4 + 1 + (g / 30) % 4 AS w,
        timestamptz '2025-12-01 00:00:00+08' + (g::bigint * 31535999 / $1) * interval '1 second'
          AS done
      FROM generate_series($2::bigint, $3::bigint) g) x
"""
_RATINGS = """
INSERT INTO rating (id, case_id, act_id, target, level, category, tags, comment, channel,
  rater_role, rater_key, rated_at, effective, held_for_review, appeal_upheld, rules_version,
  fired_rules)
SELECT g, g, md5(g::text), 'case', lv, CASE WHEN lv >= 3 THEN 'good' ELSE 'bad' END, '[]', NULL,
  ch, CASE WHEN ch = 'DEFAULT' THEN 'system' ELSE 'citizen' END, NULL,
  c.completed_at + interval '1 hour', TRUE, FALSE,
  CASE WHEN lv <= 2 AND g % 50 = 0 THEN 'not_counted' END, 'bench', '[]'
FROM (SELECT g,
        CASE WHEN g % 7 = 0 THEN 'DEFAULT'
             ELSE (ARRAY['PAD', 'QR', 'APP', 'WEB', 'SMS', 'PAD'])[g % 7] END AS ch,
        CASE WHEN g % 7 = 0 THEN 4
             WHEN (g * 7919) % 100 < 70 THEN 5 WHEN (g * 7919) % 100 < 85 THEN 4
             WHEN (g * 7919) % 100 < 93 THEN 3 WHEN (g * 7919) % 100 < 97 THEN 2 ELSE 1 END AS lv
      FROM generate_series($1::bigint, $2::bigint) g) x
JOIN case_record c ON c.id = x.g
"""
_ITEMS = """
INSERT INTO work_item (case_id, department_id, region_id, rating_id, rated_staff_id, status,
  step, step_started_at, due_at, overdue, escalated, opened_at, closed_at, close_reason)
SELECT r.case_id, c.department_id, c.region_id, r.id, c.staff_id,
  CASE WHEN r.appeal_upheld IS NOT NULL OR r.id % 5 <> 0 THEN 'CLOSED' ELSE 'OPEN' END,
  CASE WHEN r.appeal_upheld IS NULL AND r.id % 5 = 0 THEN 'rectification' END,
  r.rated_at, r.rated_at + interval '5 days', FALSE, FALSE, r.rated_at,
  CASE WHEN r.appeal_upheld IS NOT NULL OR r.id % 5 <> 0 THEN r.rated_at + interval '3 days' END,
  CASE WHEN r.appeal_upheld IS NOT NULL THEN 'APPEAL_UPHELD'
       WHEN r.id % 5 <> 0 THEN 'RESOLVED' END
FROM rating r JOIN case_record c ON c.id = r.case_id
WHERE r.level <= 2 AND r.id BETWEEN $1 AND $2
"""
_EVENTS = """
INSERT INTO work_item_event (work_item_id, at, actor_role, actor_subject, action, step, outcome)
SELECT w.id, w.opened_at + e.after, e.role, 'bench', e.action, e.step, NULL
FROM work_item w
CROSS JOIN (VALUES ('system', 'opened', 'callback', interval '0'),
                   ('dept_handler', 'callback_recorded', 'callback', interval '1 hour'),
                   ('dept_handler', 'rectification_submitted', 'rectification', interval '2 days'))
  AS e(role, action, step, after)
WHERE w.case_id BETWEEN $1 AND $2
  AND (e.action <> 'rectification_submitted' OR w.close_reason = 'RESOLVED')
"""


def progress(message: str) -> None:
    print(f"[statistics] {message}", file=sys.stderr, flush=True)


async def _fill(url: str, total: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        # The fill writes what the app would have; the marks its triggers leave are not
        # wanted (the rebuild measured below counts everything).
        await conn.execute("SET session_replication_role = replica")
        for statement in _REFERENCE:
            await conn.execute(statement)
        for first in range(1, total + 1, CHUNK):
            last = min(first + CHUNK - 1, total)
            started = time.monotonic()
            await conn.execute(_CASES, total, first, last)
            await conn.execute(_RATINGS, first, last)
            await conn.execute(_ITEMS, first, last)
            await conn.execute(_EVENTS, first, last)
            share = 100 * last // total
            progress(
                f"fill: {last:,}/{total:,} cases ({share}%), {time.monotonic() - started:.0f} s"
            )
        await conn.execute("SELECT setval('case_record_id_seq', $1)", total)
        await conn.execute("SELECT setval('rating_id_seq', $1)", total)
        progress("fill: VACUUM ANALYZE")
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()


async def _rebuild_figure(total: int) -> Figure:
    conn = connection()
    count = (
        "SELECT count(*) AS n FROM case_record c JOIN rating r ON r.id = c.effective_rating_id "
        "WHERE c.completed_at IS NOT NULL"
    )
    await fetch(conn, count)
    started = time.perf_counter()
    await fetch(conn, count)
    baseline = time.perf_counter() - started

    def tell(what: str, done: int, months: int) -> None:
        progress(f"rebuild: {done}/{months} months ({100 * done // months}%), {what}")

    started = time.perf_counter()
    report = await rebuild(progress=tell)
    spent = time.perf_counter() - started
    progress(f"rebuilt {report.days} days in {spent:.1f} s")
    label = f"hcp stats rebuild over {total:,} rated cases ({report.days} days)"
    return pass_figure("stats_rebuild_seconds", label, spent, baseline, REBUILD_TARGET_S)


async def _query_figures(total: int) -> list[Figure]:
    engine = Engine.from_path(ROOT / "rules.yaml")
    now = datetime.now(UTC)
    chooser = random.Random(11)
    admins = [Principal(f"bench-{c}", Role.AREA_ADMIN, region_code=c) for c, _ in DISTRICTS]

    async def dashboard() -> object:
        return await statistics(
            viewer=chooser.choice(admins),
            engine=engine,
            metrics=None,
            scope=StatFilter(),
            period=YEAR,
            granularity=Granularity.MONTH,
            group_by=[Dimension.DEPARTMENT],
            now=now,
        )

    async def by_day() -> object:
        handler = Principal(
            "bench-h", Role.DEPT_HANDLER, department_code=f"BD-{chooser.randint(1, 30)}"
        )
        return await statistics(
            viewer=handler,
            engine=engine,
            metrics=None,
            scope=StatFilter(),
            period=YEAR,
            granularity=Granularity.DAY,
            group_by=[],
            now=now,
        )

    async def staff_ranking() -> object:
        return await ranking(
            viewer=chooser.choice(admins),
            engine=engine,
            metric="satisfaction",
            by=Dimension.STAFF,
            period=YEAR,
            min_sample=30,
            scope=StatFilter(),
            now=now,
        )

    async def ping() -> object:
        return await fetch(connection(), "SELECT 1 AS ok")

    found = await dashboard()
    rows = len(getattr(found, "rows", ()))
    progress(f"dashboard query answers {rows} rows (12 months x 15 departments expected)")
    pings = await _timed(ping, 300)
    baseline = _p99(pings)
    figures = []
    for name, label, make in (
        ("stats_dashboard_p99_ms", "one district, one year, by month and department", dashboard),
        ("stats_by_day_p99_ms", "one department, one year, by day", by_day),
        ("stats_staff_ranking_p99_ms", "ranking of a district's staff over a year", staff_ranking),
    ):
        await _timed(make, 3)  # warm the plans and the cache
        calls = await _timed(make, CALLS)
        p99, p50 = _p99(calls), sorted(calls)[len(calls) // 2]
        progress(f"{label}: p50 {p50:.1f} ms, p99 {p99:.1f} ms (ping p99 {baseline:.2f} ms)")
        figures.append(
            Figure(
                name=name,
                label=f"statistics: {label}, every metric, p99 over {CALLS} calls, "
                f"{total:,} ratings",
                value=p99,
                unit="ms",
                baseline=baseline,
                baseline_unit="ms (p99 of SELECT 1)",
                ratio=p99 / baseline,
                ratio_of="baseline",
                target=f"< {QUERY_TARGET_MS:g} ms",
                concurrency=1,
            )
        )
    return figures


async def _run(source: str, total: int) -> list[Figure]:
    async with scratch_database(source, "stats") as url:
        progress(f"filling {total:,} cases and ratings")
        await _fill(url, total)
        await Tortoise.init(config=tortoise_config(url))
        try:
            figures = [await _rebuild_figure(total)]
            figures += await _query_figures(total)
        finally:
            await Tortoise.close_connections()
    return figures


def run(database_url: str, total: int) -> list[Figure]:
    return asyncio.run(_run(database_url, total))


if __name__ == "__main__":
    source = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SOURCE
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    found = asyncio.run(_run(source, count))
    print(json.dumps({"cases": count, "figures": [asdict(f) for f in found]}, ensure_ascii=False))
