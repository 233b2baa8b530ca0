"""The demo seed: the district in catalog.yaml plus a week of cases for the demo citizens.

Reference data goes in through the models; cases go in through the same intake service
business systems use, so the demo exercises the real path.
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
from models.reference import Department, Hall, Region, Staff, Window
from rules import BUSINESS_TZ
from services.case_intake import ApplicantData, CaseData
from services.ingest_cases import ingest_cases
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


async def seed_demo(*, vault: Vault, now: datetime) -> SeedReport:
    catalog = load_catalog()
    await _reference(catalog)
    cases = 0
    if not await Case.exists():
        results = await ingest_cases(list(demo_cases(catalog, now)), vault=vault, now=now)
        cases = sum(1 for r in results if getattr(r, "created", False))
    windows = sum(len(h["windows"]) for h in catalog["halls"])
    return SeedReport(regions=len(catalog["regions"]), windows=windows, cases=cases)


async def _reference(catalog: dict[str, Any]) -> None:
    regions: dict[str, Region] = {}
    for entry in catalog["regions"]:
        parent = regions.get(entry.get("parent", ""))
        regions[entry["code"]], _ = await Region.update_or_create(
            code=entry["code"], defaults={"name": entry["name"], "parent": parent}
        )
    departments: dict[str, Department] = {}
    for entry in catalog["departments"]:
        departments[entry["code"]], _ = await Department.update_or_create(
            code=entry["code"], defaults={"name": entry["name"], "region": regions[DISTRICT]}
        )
    for entry in catalog["staff"]:
        await Staff.update_or_create(
            code=entry["code"],
            defaults={"name": entry["name"], "department": departments[entry["department"]]},
        )
    for hall_entry in catalog["halls"]:
        hall, _ = await Hall.update_or_create(
            code=hall_entry["code"],
            defaults={"name": hall_entry["name"], "region": regions[hall_entry["region"]]},
        )
        for window in hall_entry["windows"]:
            await Window.update_or_create(
                code=window["code"],
                defaults={
                    "name": window["name"],
                    "hall": hall,
                    "department": departments[window["department"]],
                },
            )


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
        self.windows = {w["code"]: w for h in catalog["halls"] for w in h["windows"]}
        self.staff = {s["code"]: s["name"] for s in catalog["staff"]}

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
            staff_code=window["staff"] if window else None,
            staff_name=self.staff[window["staff"]] if window else None,
            batch_no=extra.get("batch"),
            integrated_service_no=service["code"] if service else None,
            integrated_service_name=service["name"] if service else None,
        )
