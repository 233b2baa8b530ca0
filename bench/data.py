"""The bench data set, a pure function of the case index k in [0, total).

The API traffic (bench.load) and the SQL filler (bench.fill) both draw cases from here,
so a filled database looks as if every case had come through `ingestCases`. Applicants
own 5-20 cases each; case k takes slot (k * STRIDE) % total, so the 1,000 cases of one
batch belong to ~1,000 different people, as they would from a real business system.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from math import gcd
from typing import Any

REGIONS = (
    ("330000", "浙江省", None),
    ("330200", "宁波市", "330000"),
    ("330283", "宁波市奉化区", "330200"),
)
REGION_CODE = "330283"
STRIDE = 7919
CHINA = timezone(timedelta(hours=8))
ACCEPT_BASE = datetime(2025, 6, 1, 8, 30, tzinfo=CHINA)
ACCEPT_SPAN_S = 365 * 86400
BIRTH_BASE = date(1950, 1, 1)
BIRTH_DAYS = 20_000

# (code, name); matters name the department (index) that handles them.
DEPARTMENTS = (
    ("330283-RSJ", "奉化区人力资源和社会保障局"),
    ("330283-SCJ", "奉化区市场监督管理局"),
    ("330283-GAJ", "宁波市公安局奉化分局"),
    ("330283-YBJ", "奉化区医疗保障局"),
    ("330283-ZJJ", "奉化区住房和城乡建设局"),
)
MATTERS = (
    ("330283-RSJ-0101", "失业保险金申领", "PAYMENT", 0),
    ("330283-RSJ-0207", "职业资格证书核发", "LICENSING", 0),
    ("330283-SCJ-0001", "个体工商户设立登记", "LICENSING", 1),
    ("330283-SCJ-0032", "食品经营许可", "LICENSING", 1),
    ("330283-GAJ-0110", "居民身份证换领", "PUBLIC_SERVICE", 2),
    ("330283-GAJ-0121", "户口迁移审批", "CONFIRMATION", 2),
    ("330283-YBJ-0004", "基本医疗保险关系转移接续", "PUBLIC_SERVICE", 3),
    ("330283-ZJJ-0015", "住房公积金提取", "PAYMENT", 4),
)
WINDOWS_PER_DEPARTMENT = 2
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚英华燕兰"
STAFF_NAMES = ("陈晓东", "林佳怡", "王建国", "周敏", "徐海波", "孙丽华", "郑凯", "胡雪梅")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_number(j: int) -> str:
    """A valid resident ID number (GB 11643 check digit), unique per applicant j."""
    birth = BIRTH_BASE + timedelta(days=j % BIRTH_DAYS)
    body = f"{REGION_CODE}{birth:%Y%m%d}{j // BIRTH_DAYS % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True))
    return body + _ID_CHECK[total % 11]


def person_name(j: int) -> str:
    n = j // len(SURNAMES)
    given = GIVEN[n % len(GIVEN)] + (GIVEN[n // 7 % len(GIVEN)] if n % 3 else "")
    return SURNAMES[j % len(SURNAMES)] + given


def phone(j: int) -> str:
    return f"13{(j * 7919 + 12345) % 1_000_000_000:09d}"


def window(department: int, n: int) -> tuple[str, str]:
    return f"{DEPARTMENTS[department][0]}-W{n + 1:02d}", f"综合受理窗口{department * 10 + n + 1}号"


def staff(department: int, n: int) -> tuple[str, str]:
    return f"{DEPARTMENTS[department][0]}-S{n + 1:02d}", STAFF_NAMES[(department + n * 3) % 8]


def case_times(k: int) -> tuple[datetime, datetime]:
    """(acceptedAt, completedAt), both in the past."""
    accepted = ACCEPT_BASE + timedelta(seconds=(k * 7919) % ACCEPT_SPAN_S)
    return accepted, accepted + timedelta(minutes=20 + (k % 97) * 30)


class Layout:
    """Which applicant owns which case, for a data set of `total` cases."""

    def __init__(self, total: int) -> None:
        assert gcd(STRIDE, total) == 1, "total must be coprime with STRIDE"
        self.total = total
        starts = [0]
        while starts[-1] < total:
            starts.append(starts[-1] + 5 + (len(starts) * 7) % 16)
        starts[-1] = total
        self._starts = starts

    @property
    def applicants(self) -> int:
        return len(self._starts) - 1

    def owner(self, k: int) -> int:
        return bisect_right(self._starts, (k * STRIDE) % self.total) - 1

    def case_count(self, j: int) -> int:
        return self._starts[j + 1] - self._starts[j]


@dataclass(frozen=True)
class BenchCase:
    """One case, as a business system would send it."""

    k: int
    applicant: int

    def as_input(self) -> dict[str, Any]:
        """The `CaseInput` of `ingestCases` (camelCase, JSON-ready)."""
        k, j = self.k, self.applicant
        matter_code, matter_name, matter_type, dept = MATTERS[k % len(MATTERS)]
        accepted, completed = case_times(k)
        served_via = ("ONLINE", "ONLINE", "KIOSK", "WINDOW", "WINDOW", "WINDOW", "WINDOW")[k % 7]
        item: dict[str, Any] = {
            "caseNo": case_no(k),
            "matterCode": matter_code,
            "matterName": matter_name,
            "matterType": matter_type,
            "departmentCode": DEPARTMENTS[dept][0],
            "departmentName": DEPARTMENTS[dept][1],
            "regionCode": REGION_CODE,
            "applicant": {
                "name": person_name(j),
                "idNumber": id_number(j),
                "kind": "PERSON",
                "phone": phone(j),
            },
            "servedVia": served_via,
            "acceptedAt": accepted.isoformat(),
            "completedAt": completed.isoformat(),
        }
        if served_via == "WINDOW":
            item["windowCode"], item["windowName"] = window(dept, k % WINDOWS_PER_DEPARTMENT)
            item["staffCode"], item["staffName"] = staff(dept, k % 3)
        return item


def case_no(k: int) -> str:
    return f"{REGION_CODE}2025{k:09d}"


def bench_case(layout: Layout, k: int) -> BenchCase:
    return BenchCase(k, layout.owner(k))
