"""The demo seed: the district in catalog.yaml plus a week of cases for the demo citizens.

Reference data goes in through the importer operators use (`hcp import`, the catalog is in
its YAML format); cases go in through the same intake service business systems use, so the
demo exercises the real paths.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from models.case import Case
from models.enums import ApplicantKind, MatterType, ServedVia
from rules import BUSINESS_TZ, Engine
from server.demo.history import seed_history
from services.case_intake import ApplicantData, CaseData
from services.ingest_cases import ingest_cases
from services.reference_import import import_reference, read_file
from services.stats_refresh import refresh_all
from services.vault import Vault

CATALOG = Path(__file__).with_name("catalog.yaml")
DISTRICT = "330283"


def load_catalog() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True)
class SeedReport:
    regions: int
    windows: int
    cases: int


class DemoCatalogError(Exception):
    """The demo catalog does not import cleanly (a broken edit of catalog.yaml)."""


async def seed_demo(*, vault: Vault, now: datetime, engine: Engine | None = None) -> SeedReport:
    catalog = load_catalog()
    imported = await import_reference([read_file(CATALOG)], check_only=False)
    if imported.rejected:
        problems = "; ".join(f"line {i.row}: {i.message}" for i in imported.issues)
        raise DemoCatalogError(f"{CATALOG.name}: {problems}")
    cases = 0
    if not await Case.exists():
        results = await ingest_cases(list(demo_cases(catalog, now)), vault=vault, now=now)
        cases = sum(1 for r in results if getattr(r, "created", False))
        if engine is not None:  # half a year of rated cases before the demo week
            lookup = _Lookup(catalog)
            people = [_applicant(c) for c in catalog["citizens"]]
            matters = [m["code"] for m in catalog["matters"] if m.get("window")]
            cases += await seed_history(
                lambda no, person, matter, accepted, done: lookup.case(
                    no, person, matter, accepted, done, {}
                ),
                people,
                matters,
                engine=engine,
                vault=vault,
                now=now,
            )
    await refresh_all()  # the dashboard counts the demo's cases from the start
    return SeedReport(regions=len(catalog["regions"]), windows=len(catalog["windows"]), cases=cases)


def demo_cases(catalog: dict[str, Any], now: datetime) -> list[CaseData]:
    """A week of cases ending now: every citizen has window and online cases, one batch,
    one "one-thing" service and one case still in progress."""
    lookup = _Lookup(catalog)
    people = [_applicant(c) for c in catalog["citizens"]]
    plan = _plan(catalog)
    cases: list[CaseData] = []
    serial = itertools.count(1)
    for day in range(6, -1, -1):
        for slot, (person, matter_code, extra) in enumerate(plan[day]):
            accepted = _office_hours(now, day, slot)
            done = extra.get("pending") is not True
            cases.append(
                lookup.case(
                    f"DEMO-{accepted:%Y%m%d}-{next(serial):04d}",
                    people[person],
                    matter_code,
                    accepted,
                    accepted + timedelta(minutes=35) if done else None,
                    extra,
                )
            )
    return cases


def _office_hours(now: datetime, day: int, slot: int) -> datetime:
    """A morning slot in business time `day` days ago, never later than an hour ago."""
    local = now.astimezone(BUSINESS_TZ)
    start = (local - timedelta(days=day)).replace(hour=9, minute=0, second=0, microsecond=0)
    moment = start + timedelta(minutes=50 * slot)
    return min(moment, local - timedelta(hours=1 + slot))


def _plan(catalog: dict[str, Any]) -> dict[int, list[tuple[int, str, dict[str, Any]]]]:
    kbqy = next(s for s in catalog["integrated_services"] if s["code"] == "YJS-KBQY")
    one_thing = {"service": kbqy}
    return {
        6: [(0, "M-GJJ-001", {}), (1, "M-YB-001", {})],
        5: [(0, "M-RSB-001", {"online": True}), (2, "M-SCJG-002", {})],
        4: [(1, "M-ZRZY-001", {}), (0, "M-GA-001", {})],
        3: [
            (1, "M-RSB-002", {"batch": "DEMO-B-001"}),
            (1, "M-RSB-002", {"batch": "DEMO-B-001"}),
            (1, "M-RSB-002", {"batch": "DEMO-B-001"}),
        ],
        2: [(2, code, one_thing) for code in kbqy["matters"]],
        1: [(0, "M-SCJG-003", {}), (1, "M-SW-001", {"online": True})],
        0: [(0, "M-ZRZY-002", {}), (1, "M-YB-001", {"pending": True})],
    }


def _applicant(entry: dict[str, Any]) -> ApplicantData:
    return ApplicantData(
        name=entry["name"],
        id_number=entry["id_number"],
        phone=entry["phone"],
        kind=ApplicantKind(entry["kind"]),
    )


class _Lookup:
    def __init__(self, catalog: dict[str, Any]) -> None:
        self.matters = {m["code"]: m for m in catalog["matters"]}
        self.departments = {d["code"]: d["name"] for d in catalog["departments"]}
        self.windows = {w["code"]: w for w in catalog["windows"]}
        self.staff = {s["code"]: s["name"] for s in catalog["staff"]}
        # Who handles a window's cases: the first member listed as serving there.
        self.served_by: dict[str, str] = {}
        for member in catalog["staff"]:
            for window in member.get("windows", ()):
                self.served_by.setdefault(window, member["code"])

    def case(
        self,
        case_no: str,
        person: ApplicantData,
        matter_code: str,
        accepted: datetime,
        completed: datetime | None,
        extra: dict[str, Any],
    ) -> CaseData:
        matter = self.matters[matter_code]
        window = None if extra.get("online") else self.windows.get(matter.get("window", ""))
        service = extra.get("service")
        return CaseData(
            case_no=case_no,
            matter_code=matter_code,
            matter_name=matter["name"],
            matter_type=MatterType(matter["type"]),
            department_code=matter["department"],
            department_name=self.departments[matter["department"]],
            region_code=DISTRICT,
            applicant=person,
            served_via=ServedVia.WINDOW if window else ServedVia.ONLINE,
            accepted_at=accepted.isoformat(),
            completed_at=completed.isoformat() if completed else None,
            window_code=window["code"] if window else None,
            window_name=window["name"] if window else None,
            staff_code=self.served_by[window["code"]] if window else None,
            staff_name=self.staff[self.served_by[window["code"]]] if window else None,
            batch_no=extra.get("batch"),
            integrated_service_no=service["code"] if service else None,
            integrated_service_name=service["name"] if service else None,
        )
