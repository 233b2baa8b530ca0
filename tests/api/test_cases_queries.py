"""`myCases` and `case`: who sees which case, pagination, personal data."""

from __future__ import annotations

from tests.conftest import ROOT, Api, citizen, token
from tests.factories import (
    CASE_FIELDS,
    CHEN,
    INGEST,
    WANG,
    case_input,
    other_department_case,
    other_region_case,
)

MY_CASES = """
query($first: Int, $after: String) {
  myCases(first: $first, after: $after) {
    totalCount
    nodes { caseNo completedAt matter { code name } department { code name } window { code name }
            applicant { kind name idNumber phone } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
CASE = f"query($n: String!) {{ case(caseNo: $n) {{ {CASE_FIELDS} }} }}"


async def seed(api: Api) -> None:
    cases = [
        case_input(
            f"W-{day:02d}",
            WANG,
            acceptedAt=f"2026-11-{day:02d}T09:00:00+08:00",
            completedAt=f"2026-11-{day:02d}T10:00:00+08:00",
        )
        for day in range(1, 8)
    ]
    cases += [
        other_department_case(),
        other_region_case(),
    ]
    body = await api.gql(INGEST, {"cases": cases}, token("system"))
    assert body["data"]["ingestCases"]["acceptedCount"] == len(cases)


async def test_a_citizen_sees_only_their_own_cases_newest_first(api: Api) -> None:
    await seed(api)
    body = await api.gql(MY_CASES, {"first": 20}, citizen(WANG))
    page = body["data"]["myCases"]
    assert page["totalCount"] == 7
    assert [n["caseNo"] for n in page["nodes"]] == [f"W-{d:02d}" for d in range(7, 0, -1)]
    assert page["pageInfo"]["hasNextPage"] is False
    first = page["nodes"][0]
    assert first["applicant"] == {
        "kind": "PERSON",
        "name": "王小明",
        "idNumber": "11010519491231002X",
        "phone": "13800000001",
    }
    assert first["window"] == {"code": "W-01", "name": "综合受理1号窗口"}
    other = await api.gql(MY_CASES, {}, citizen(CHEN))
    assert [n["caseNo"] for n in other["data"]["myCases"]["nodes"]] == ["C-1"]


async def test_pages_follow_the_cursor_without_gaps_or_repeats(api: Api) -> None:
    await seed(api)
    seen: list[str] = []
    after = None
    for _ in range(10):
        body = await api.gql(MY_CASES, {"first": 3, "after": after}, citizen(WANG))
        page = body["data"]["myCases"]
        seen += [n["caseNo"] for n in page["nodes"]]
        assert page["totalCount"] == 7
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"W-{d:02d}" for d in range(7, 0, -1)]


async def test_total_count_holds_past_the_last_page_and_through_fragments(api: Api) -> None:
    await seed(api)
    last = await api.gql(MY_CASES, {"first": 7}, citizen(WANG))
    end = last["data"]["myCases"]["pageInfo"]["endCursor"]
    past = await api.gql(MY_CASES, {"first": 3, "after": end}, citizen(WANG))
    assert past["data"]["myCases"]["nodes"] == []
    assert past["data"]["myCases"]["totalCount"] == 7
    spread = await api.gql(
        "query { myCases(first: 1) { ...Count nodes { caseNo } } } "
        "fragment Count on CaseConnection { totalCount }",
        token=citizen(WANG),
    )
    assert spread["data"]["myCases"] == {"totalCount": 7, "nodes": [{"caseNo": "W-07"}]}
    inline = await api.gql(
        "query { myCases(first: 2) { ... on CaseConnection { totalCount } } }",
        token=citizen(CHEN),
    )
    assert inline["data"]["myCases"] == {"totalCount": 1}


async def test_a_citizen_with_no_cases_gets_an_empty_page(api: Api) -> None:
    body = await api.gql(MY_CASES, {}, token("citizen", id_number="330283199001010012"))
    assert body["data"]["myCases"] == {
        "totalCount": 0,
        "nodes": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }


async def test_bad_page_arguments_are_bad_input(api: Api) -> None:
    for variables in (
        {"first": 0},
        {"first": 101},
        {"after": "not-a-cursor"},
        {"after": "MjAyNnxhYmM="},
    ):
        body = await api.gql(MY_CASES, variables, citizen(WANG))
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT", variables


async def test_my_cases_is_for_citizens(api: Api) -> None:
    body = await api.gql(MY_CASES, {}, token("dept_handler", department_code="D-SCJG"))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await api.gql(MY_CASES, {})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def visible(api: Api, bearer: str, case_no: str) -> bool:
    body = await api.gql(CASE, {"n": case_no}, bearer)
    if body.get("errors"):
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND", body
        return False
    return True


async def test_case_visibility_follows_applicant_department_and_region(api: Api) -> None:
    await seed(api)
    scm = token("window_staff", staff_code="S-01", department_code="D-SCJG")
    rsb = token("dept_handler", department_code="D-RSB")
    district = token("area_admin", region_code="330283")
    town = token("area_admin", region_code="330283100")
    wenzhou = token("area_admin", region_code="330300")
    expected = {
        citizen(WANG): {"W-01": True, "C-1": False, "E-1": False},
        citizen(CHEN): {"W-01": False, "C-1": True, "E-1": False},
        scm: {"W-01": True, "C-1": False, "E-1": False},
        rsb: {"W-01": False, "C-1": True, "E-1": False},
        district: {"W-01": True, "C-1": True, "E-1": False},
        town: {"W-01": False, "C-1": True, "E-1": False},
        wenzhou: {"W-01": False, "C-1": False, "E-1": True},
        token("system"): {"W-01": True, "C-1": True, "E-1": True},
    }
    for bearer, cases in expected.items():
        for case_no, allowed in cases.items():
            assert await visible(api, bearer, case_no) is allowed, case_no
    assert not await visible(api, token("system"), "NO-SUCH-CASE")


async def test_policy_staff_and_anonymous_callers_cannot_read_cases(api: Api) -> None:
    await seed(api)
    body = await api.gql(CASE, {"n": "W-01"}, token("policy_staff"))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await api.gql(CASE, {"n": "W-01"})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_staff_see_the_applicant_as_the_policy_masks_it_for_their_role(api: Api) -> None:
    """rules.yaml `masking`: window staff see nobody (no retaliation), department handlers
    and area admins see masked values; roles the policy does not name see nothing."""
    await seed(api)
    hidden = {"kind": "PERSON", "name": None, "idNumber": None, "phone": None}
    expected = {
        token("window_staff", department_code="D-SCJG"): hidden,
        token("dept_handler", department_code="D-SCJG"): {
            "kind": "PERSON",
            "name": "王**",
            "idNumber": "110105********002X",
            "phone": "138****0001",
        },
        token("area_admin", region_code="330283"): {
            "kind": "PERSON",
            "name": "王*明",
            "idNumber": "110105********002X",
            "phone": "138****0001",
        },
        token("system"): hidden,
    }
    for bearer, applicant in expected.items():
        body = await api.gql(CASE, {"n": "W-01"}, bearer)
        assert body["data"]["case"]["applicant"] == applicant


async def test_a_masking_edit_in_the_policy_changes_what_staff_see(api: Api) -> None:
    await seed(api)
    text = (ROOT / "rules.yaml").read_text(encoding="utf-8")
    edited = text.replace(
        "    role: dept_handler\n    name: {keep_first: 1}\n",
        "    role: dept_handler\n    name: hidden\n",
    ).replace("    phone: {keep_first: 3, keep_last: 4}\n", "    phone: {keep_last: 4}\n", 1)
    assert edited != text
    published = await api.gql(
        "mutation($y: String!) { publishRules(yaml: $y) { __typename } }",
        {"y": edited},
        token("policy_staff"),
    )
    assert published["data"]["publishRules"]["__typename"] == "RulesPublished"
    body = await api.gql(CASE, {"n": "W-01"}, token("dept_handler", department_code="D-SCJG"))
    applicant = body["data"]["case"]["applicant"]
    assert applicant["name"] is None
    assert applicant["phone"] == "*******0001"
    own = await api.gql(CASE, {"n": "W-01"}, citizen(WANG))
    assert own["data"]["case"]["applicant"]["phone"] == "13800000001"
