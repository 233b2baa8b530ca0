"""The reference data through the API (`regions`, `halls`, `departments`, `windows`,
`staff`): filters, paging by code, and each caller's scope (an area admin its region and
below, department staff their department's), on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from models.reference import Department, Hall, Region, Staff, StaffWindow, Window
from tests.conftest import Api, token
from tests.factories import WANG, case_input

LIST = """
query($filter: %(filter)s, $first: Int! = 50, $after: String) {
  %(field)s(filter: $filter, first: $first, after: $after) {
    totalCount nodes { code name } pageInfo { hasNextPage endCursor }
  }
}
"""
FILTERS = {
    "regions": "RegionFilter",
    "halls": "HallFilter",
    "departments": "DepartmentFilter",
    "windows": "WindowFilter",
    "staff": "StaffFilter",
}
DISTRICT_ADMIN = token("area_admin", region_code="330283")
CITY_ADMIN = token("area_admin", region_code="330200")
FAR_ADMIN = token("area_admin", region_code="330302")
HANDLER = token("dept_handler", department_code="D-SCJG")
RSB_HANDLER = token("dept_handler", department_code="D-RSB")
WINDOW_STAFF = token("window_staff", department_code="D-SCJG")
SYSTEM = token("system")


async def build() -> None:
    """Beside the fixture's regions (宁波市 > 奉化区 > 溪口镇, 温州市 > 鹿城区): two streets and
    a village under 奉化区, 海曙区 under 宁波市; halls, departments, windows and staff in them,
    with a city department's window in the district hall and a staff member of 人社 serving
    at a 市场监管 window."""
    region = {r.code: r for r in await Region.all()}
    district = region["330283"]
    for code, name, parent in [
        ("330283001", "锦屏街道", district),
        ("330283002", "岳林街道", district),
        ("33028310001", "溪口村社区", region["330283100"]),
        ("330203", "海曙区", region["330200"]),
    ]:
        region[code] = await Region.create(code=code, name=name, parent=parent)
    hall = {
        code: await Hall.create(code=code, name=name, region=region[where])
        for code, name, where in [
            ("H-FH", "奉化区行政服务中心", "330283"),
            ("H-XK", "溪口镇便民服务中心", "330283100"),
            ("H-HS", "海曙区行政服务中心", "330203"),
            ("H-LC", "鹿城区市民中心", "330302"),
        ]
    }
    department = {
        code: await Department.create(code=code, name=name, region=region[where])
        for code, name, where in [
            ("D-SCJG", "奉化区市场监管局", "330283"),
            ("D-RSB", "奉化区人社局", "330283"),
            ("D-NB", "宁波市公安局出入境管理局", "330200"),
            ("D-HS", "海曙区市场监管局", "330203"),
            ("D-LC", "鹿城区市场监管局", "330302"),
        ]
    }
    window = {
        code: await Window.create(
            code=code, name=name, hall=hall[at] if at else None, department=department[of]
        )
        for code, name, at, of in [
            ("W-01", "综合受理1号窗口", "H-FH", "D-SCJG"),
            ("W-02", "综合受理2号窗口", "H-FH", "D-SCJG"),
            ("W-03", "社保窗口", "H-FH", "D-RSB"),
            ("W-04", "溪口社保窗口", "H-XK", "D-RSB"),
            ("W-05", "出入境窗口", "H-FH", "D-NB"),
            ("W-09", "网上受理专席", None, "D-SCJG"),
            ("W-11", "海曙综合窗口", "H-HS", "D-HS"),
            ("W-21", "鹿城综合窗口", "H-LC", "D-LC"),
        ]
    }
    for code, name, of, serves in [
        ("S-01", "李晓燕", "D-SCJG", ["W-01", "W-02"]),
        ("S-02", "张伟", "D-SCJG", ["W-02"]),
        ("S-03", "王芳", "D-RSB", ["W-03", "W-04"]),
        ("S-04", "刘洋", "D-NB", ["W-05"]),
        ("S-05", "陈静", "D-SCJG", []),
        ("S-06", "赵磊", "D-RSB", ["W-01"]),
        ("S-11", "孙丽", "D-HS", ["W-11"]),
        ("S-21", "周强", "D-LC", ["W-21"]),
    ]:
        member = await Staff.create(code=code, name=name, department=department[of])
        for at in serves:
            await StaffWindow.create(staff=member, window=window[at])


async def listed(
    api: Api, field: str, who: str | None, first: int = 50, after: str | None = None, **given: Any
) -> dict[str, Any]:
    query = LIST % {"field": field, "filter": FILTERS[field]}
    variables = {"filter": given or None, "first": first, "after": after}
    body = await api.gql(query, variables, who)
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"][field]
    return found


async def codes(api: Api, field: str, who: str | None, **given: Any) -> list[str]:
    found = await listed(api, field, who, **given)
    assert found["totalCount"] == len(found["nodes"]), found
    return [node["code"] for node in found["nodes"]]


async def error(api: Api, field: str, who: str | None, **variables: Any) -> str:
    query = LIST % {"field": field, "filter": FILTERS[field]}
    body = await api.gql(query, variables, who)
    assert body["data"] is None, body
    [problem] = body["errors"]
    return f"{problem['extensions']['code']}: {problem['message']}"


async def test_an_area_admin_reads_its_region_and_every_region_below(api: Api) -> None:
    await build()
    assert await codes(api, "regions", DISTRICT_ADMIN) == [
        "330283",
        "330283001",
        "330283002",
        "330283100",
        "33028310001",
    ]
    assert await codes(api, "halls", DISTRICT_ADMIN) == ["H-FH", "H-XK"]
    assert await codes(api, "departments", DISTRICT_ADMIN) == ["D-RSB", "D-SCJG"]
    # W-05 is a city department's window in the district's hall.
    assert await codes(api, "windows", DISTRICT_ADMIN) == [
        "W-01",
        "W-02",
        "W-03",
        "W-04",
        "W-05",
        "W-09",
    ]
    assert await codes(api, "staff", DISTRICT_ADMIN) == [
        "S-01",
        "S-02",
        "S-03",
        "S-04",
        "S-05",
        "S-06",
    ]
    assert await codes(api, "halls", CITY_ADMIN) == ["H-FH", "H-HS", "H-XK"]
    assert await codes(api, "departments", CITY_ADMIN) == [
        "D-HS",
        "D-NB",
        "D-RSB",
        "D-SCJG",
    ]


async def test_an_admin_of_another_city_sees_none_of_this_district(api: Api) -> None:
    await build()
    assert await codes(api, "regions", FAR_ADMIN) == ["330302"]
    assert await codes(api, "halls", FAR_ADMIN) == ["H-LC"]
    assert await codes(api, "windows", FAR_ADMIN) == ["W-21"]
    assert await codes(api, "staff", FAR_ADMIN) == ["S-21"]
    assert await codes(api, "departments", FAR_ADMIN) == ["D-LC"]
    # Asking for the district by name does not widen the scope: the page is empty.
    assert await codes(api, "halls", FAR_ADMIN, regionCode="330283") == []
    assert await codes(api, "windows", FAR_ADMIN, hallCode="H-FH") == []
    assert await codes(api, "regions", FAR_ADMIN, code="330283") == []
    assert await codes(api, "staff", DISTRICT_ADMIN, regionCode="330302") == []


async def test_department_staff_read_their_departments_windows_and_staff(api: Api) -> None:
    await build()
    for who in (HANDLER, WINDOW_STAFF):
        assert await codes(api, "windows", who) == ["W-01", "W-02", "W-09"]
        # S-06 belongs to 人社 but serves at the department's window W-01.
        assert await codes(api, "staff", who) == ["S-01", "S-02", "S-05", "S-06"]
        assert await codes(api, "departments", who) == ["D-SCJG"]
        assert await codes(api, "halls", who) == ["H-FH"]
        assert await codes(api, "regions", who) == ["330283"]
    assert await codes(api, "windows", RSB_HANDLER) == ["W-03", "W-04"]
    assert await codes(api, "halls", RSB_HANDLER) == ["H-FH", "H-XK"]
    assert await codes(api, "regions", RSB_HANDLER) == ["330283", "330283100"]
    assert await codes(api, "windows", HANDLER, departmentCode="D-RSB") == []
    assert await codes(api, "staff", HANDLER, windowCode="W-03") == []


async def test_the_system_reads_everything(api: Api) -> None:
    await build()
    assert len(await codes(api, "regions", SYSTEM)) == 9
    assert await codes(api, "halls", SYSTEM) == ["H-FH", "H-HS", "H-LC", "H-XK"]
    assert len(await codes(api, "windows", SYSTEM)) == 8
    assert len(await codes(api, "staff", SYSTEM)) == 8


async def test_filters_narrow_each_list(api: Api) -> None:
    await build()
    admin = CITY_ADMIN
    assert await codes(api, "regions", admin, parentCode="330283") == [
        "330283001",
        "330283002",
        "330283100",
    ]
    # The district admin asks for 宁波市's children: only its own district is in its scope.
    assert await codes(api, "regions", DISTRICT_ADMIN, parentCode="330200") == ["330283"]
    assert await codes(api, "regions", admin, code=" 330203 ") == ["330203"]
    assert await codes(api, "regions", admin, nameContains="街道") == ["330283001", "330283002"]
    assert await codes(api, "halls", admin, regionCode="330283100") == ["H-XK"]
    assert await codes(api, "halls", admin, nameContains="行政服务") == ["H-FH", "H-HS"]
    assert await codes(api, "departments", admin, regionCode="330203") == ["D-HS"]
    assert await codes(api, "windows", admin, hallCode="H-FH") == ["W-01", "W-02", "W-03", "W-05"]
    assert await codes(api, "windows", admin, departmentCode="D-RSB") == ["W-03", "W-04"]
    assert await codes(api, "windows", admin, regionCode="330283100") == ["W-04"]
    assert await codes(api, "windows", admin, nameContains="社保") == ["W-03", "W-04"]
    assert await codes(api, "windows", admin, hallCode="H-FH", departmentCode="D-RSB") == ["W-03"]
    assert await codes(api, "staff", admin, windowCode="W-01") == ["S-01", "S-06"]
    assert await codes(api, "staff", admin, departmentCode="D-RSB") == ["S-03", "S-06"]
    # 王芳 serves at 溪口's window: found under 溪口镇, though her department is the district's.
    assert await codes(api, "staff", admin, regionCode="330283100") == ["S-03"]
    assert await codes(api, "staff", admin, nameContains="晓") == ["S-01"]
    assert await codes(api, "staff", admin, nameContains="", departmentCode="D-NB") == ["S-04"]
    assert await codes(api, "windows", admin, hallCode="H-NONE") == []


async def test_what_each_row_leads_to(api: Api) -> None:
    await build()
    body = await api.gql(
        """{
          regions(filter: {code: "330283"}) { nodes { name parent { code name parent { code } }
            childCount } }
          halls(filter: {regionCode: "330283100"}) { nodes { region { code } windowCount } }
          departments(filter: {regionCode: "330200", nameContains: "公安"}) {
            nodes { code region { code name } } }
          windows(filter: {hallCode: "H-FH"}) { nodes { code hall { code name windowCount }
            department { code name } staff { code name } } }
          staff(filter: {windowCode: "W-01"}) { nodes { code department { code }
            windows { code hall { code } } } }
        }""",
        token=CITY_ADMIN,
    )
    assert "errors" not in body, body
    data = body["data"]
    assert data["regions"]["nodes"] == [
        {
            "name": "宁波市奉化区",
            "parent": {"code": "330200", "name": "宁波市", "parent": None},
            "childCount": 3,
        }
    ]
    assert data["halls"]["nodes"] == [{"region": {"code": "330283100"}, "windowCount": 1}]
    assert data["departments"]["nodes"] == [
        {"code": "D-NB", "region": {"code": "330200", "name": "宁波市"}}
    ]
    first = data["windows"]["nodes"][0]
    assert first == {
        "code": "W-01",
        "hall": {"code": "H-FH", "name": "奉化区行政服务中心", "windowCount": 4},
        "department": {"code": "D-SCJG", "name": "奉化区市场监管局"},
        "staff": [{"code": "S-01", "name": "李晓燕"}, {"code": "S-06", "name": "赵磊"}],
    }
    assert [w["staff"] for w in data["windows"]["nodes"]][1:] == [
        [{"code": "S-01", "name": "李晓燕"}, {"code": "S-02", "name": "张伟"}],
        [{"code": "S-03", "name": "王芳"}],
        [{"code": "S-04", "name": "刘洋"}],
    ]
    assert data["staff"]["nodes"] == [
        {
            "code": "S-01",
            "department": {"code": "D-SCJG"},
            "windows": [
                {"code": "W-01", "hall": {"code": "H-FH"}},
                {"code": "W-02", "hall": {"code": "H-FH"}},
            ],
        },
        {
            "code": "S-06",
            "department": {"code": "D-RSB"},
            "windows": [{"code": "W-01", "hall": {"code": "H-FH"}}],
        },
    ]


async def test_a_cases_window_leads_to_its_hall_and_staff_too(api: Api) -> None:
    await build()
    await api.ingest(case_input("W-01"))
    body = await api.gql(
        '{ case(caseNo: "W-01") { window { code hall { code } staff { code } } '
        "department { region { code } } staff { code windows { code } } } }",
        token=token("citizen", id_number=WANG["idNumber"], name=WANG["name"]),
    )
    assert body["data"]["case"] == {
        "window": {
            "code": "W-01",
            "hall": {"code": "H-FH"},
            "staff": [{"code": "S-01"}, {"code": "S-06"}],
        },
        "department": {"region": {"code": "330283"}},
        "staff": {"code": "S-01", "windows": [{"code": "W-01"}, {"code": "W-02"}]},
    }


async def test_pages_follow_one_another_by_code(api: Api) -> None:
    await build()
    seen: list[str] = []
    pages: list[bool] = []
    after = None
    while True:
        page = await listed(api, "windows", CITY_ADMIN, first=3, after=after)
        assert page["totalCount"] == 7
        seen += [node["code"] for node in page["nodes"]]
        pages.append(page["pageInfo"]["hasNextPage"])
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
    assert pages == [True, True, False]
    assert seen == ["W-01", "W-02", "W-03", "W-04", "W-05", "W-09", "W-11"]
    # A cursor keeps its place under a filter, and past the end the page is empty.
    first = await listed(api, "staff", CITY_ADMIN, first=1, departmentCode="D-RSB")
    rest = await listed(
        api, "staff", CITY_ADMIN, after=first["pageInfo"]["endCursor"], departmentCode="D-RSB"
    )
    assert [n["code"] for n in first["nodes"] + rest["nodes"]] == ["S-03", "S-06"]
    assert rest["pageInfo"]["hasNextPage"] is False
    beyond = await listed(
        api, "staff", CITY_ADMIN, after=rest["pageInfo"]["endCursor"], departmentCode="D-RSB"
    )
    assert beyond["nodes"] == [] and beyond["pageInfo"] == {
        "hasNextPage": False,
        "endCursor": None,
    }


async def test_thousands_of_regions_are_walked_by_their_tree(api: Api) -> None:
    """2,000 villages in 20 towns under 溪口镇, with codes that do not share its prefix:
    the subtree follows `parent`, not the code."""
    town = await Region.get(code="330283100")
    towns = [await Region.create(code=f"T{t:02d}", name=f"镇{t}", parent=town) for t in range(20)]
    await Region.bulk_create(
        [
            Region(code=f"V{t:02d}{v:03d}", name=f"村{v}", parent=parent)
            for t, parent in enumerate(towns)
            for v in range(100)
        ]
    )
    town_admin = token("area_admin", region_code="330283100")
    found: list[str] = []
    after = None
    while True:
        page = await listed(api, "regions", town_admin, first=100, after=after)
        assert page["totalCount"] == 1 + 20 + 2000
        found += [node["code"] for node in page["nodes"]]
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
    assert found == sorted(found) and len(set(found)) == 2021
    assert found[:2] == ["330283100", "T00"] and found[-1] == "V19099"
    assert (await listed(api, "regions", town_admin, parentCode="T07"))["totalCount"] == 100
    assert await codes(api, "regions", FAR_ADMIN, parentCode="T07") == []


async def test_who_may_not_read_reference_data(api: Api) -> None:
    for who in (
        token("citizen", id_number=WANG["idNumber"], name=WANG["name"]),
        token("policy_staff"),
        token("hotline_operator", region_code="330283", staff_code="S-90"),
    ):
        for field in FILTERS:
            assert (await error(api, field, who)).startswith("FORBIDDEN"), field
    for field in FILTERS:
        assert (await error(api, field, None)).startswith("UNAUTHENTICATED"), field


async def test_bad_input_gets_a_clear_code(api: Api) -> None:
    await build()
    other_list = (await listed(api, "halls", SYSTEM, first=1))["pageInfo"]["endCursor"]
    cases = {
        "first=0": ("windows", {"first": 0}, "first must be between 1 and 100"),
        "first=101": ("regions", {"first": 101}, "first must be between 1 and 100"),
        "cursor": ("staff", {"after": "not-a-cursor"}, "the cursor is not one this service"),
        "another list's cursor": ("windows", {"after": other_list}, "the cursor is not one"),
        "long name": (
            "halls",
            {"filter": {"nameContains": "名" * 129}},
            "filter.nameContains is longer than 128 characters",
        ),
        "long code": (
            "staff",
            {"filter": {"windowCode": "W" * 65}},
            "filter.windowCode is longer than 64 characters",
        ),
        "NUL": ("departments", {"filter": {"nameContains": "局\x00"}}, "NUL"),
    }
    for name, (field, variables, message) in cases.items():
        found = await error(api, field, SYSTEM, **variables)
        assert found.startswith("BAD_INPUT: ") and message in found, (name, found)
