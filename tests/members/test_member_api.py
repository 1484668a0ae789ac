"""The member API: CRUD and scope through the generic base, filters, search, masking per role,
exits, duplicate ID numbers, pinned query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.models import Member
from members.validators import credit_code_check_character
from tests.base import CreateTests, DetailTests, ListTests, UpdateTests
from tests.conftest import valid_id_number

pytestmark = pytest.mark.django_db

CREDIT_CODE = "91350200MA2XYA123" + credit_code_check_character("91350200MA2XYA123")


@pytest.fixture
def roster(make_member):
    """One member per branch (A, its group A1, B, C), plus one in A who left."""
    members = {
        "MEMBER_A": make_member("BRANCH_A", name="Wang A", phone="13911112222"),
        "MEMBER_A1": make_member("GROUP_A1", name="Zhao A1", status="probationary", full_member_on=None,
                                 joined_on=datetime.date(2024, 3, 1), categories=["rural", "mobile"], is_pocket=True),
        "MEMBER_B": make_member("BRANCH_B", name="Chen B", enterprise=CREDIT_CODE, activity_status="lost_contact"),
        "MEMBER_C": make_member("BRANCH_C", name="Lin C", gender="female"),
        "LEFT_A": make_member("BRANCH_A", name="Gone A"),
    }
    members["LEFT_A"].record_exit("death", datetime.date(2024, 1, 1))
    Member.objects.filter(pk=members["MEMBER_B"].pk).update(activity_status_since=datetime.date(2024, 1, 1))
    return members


def new_member(**overrides):
    payload = {
        "name": "New Member",
        "gender": "female",
        "birth_date": "1995-05-05",
        "id_number": valid_id_number("19950505", "124"),
        "phone": "13700137000",
        "organization": "BRANCH_A",
        "status": "probationary",
        "joined_on": "2025-06-01",
        "full_member_on": None,
        "categories": ["community"],
        "activity_status": "normal",
        "enterprise": None,
        "is_pocket": False,
    }
    payload.update(overrides)
    return payload


class TestMemberAPI(ListTests, DetailTests, CreateTests, UpdateTests):
    model = Member
    list_url = "/api/v1/members/"
    lookup = "id"
    list_visible = {
        "city_admin": {"{MEMBER_A}", "{MEMBER_A1}", "{MEMBER_B}", "{MEMBER_C}"},
        "county_staff": {"{MEMBER_A}", "{MEMBER_A1}", "{MEMBER_B}"},
        "secretary_a": {"{MEMBER_A}", "{MEMBER_A1}"},
        "secretary_b": {"{MEMBER_B}"},
    }
    list_denied = {"reader": 403, "anonymous": 401}
    detail = ("secretary_a", "{MEMBER_A1}")
    out_of_scope = ("secretary_a", "{MEMBER_B}")
    create = ("secretary_a", new_member())
    create_refused = (
        ("secretary_a", new_member(organization="BRANCH_B"), 400),  # unknown to them
        ("county_staff", new_member(organization="BRANCH_C"), 400),
        ("reader", new_member(), 403),
        ("anonymous", new_member(), 401),
        ("secretary_a", new_member(id_number=valid_id_number("19950505", "124")[:17] + "0"
                                   if not valid_id_number("19950505", "124").endswith("0") else "1"), 400),
    )
    update = ("secretary_b", "{MEMBER_B}", {"phone": "13500135000", "activity_status": "normal"},
              {"phone": "13500135000", "activity_status": "normal"})
    update_payload_for_refusals = {"name": "Hacked"}

    @pytest.fixture
    def world(self, tree, users, roster):
        values = {code: code for code in tree}
        values.update({key: member.pk for key, member in roster.items()})
        return values


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize(
    "query,expected",
    [
        ("status=probationary", {"MEMBER_A1"}),
        ("status=formal", {"MEMBER_A", "MEMBER_B", "MEMBER_C"}),
        ("category=mobile", {"MEMBER_A1"}),
        ("category=student", set()),
        ("activity_status=lost_contact", {"MEMBER_B"}),
        ("organization=BRANCH_A", {"MEMBER_A"}),
        ("within=BRANCH_A", {"MEMBER_A", "MEMBER_A1"}),
        ("within=COUNTY2", {"MEMBER_C"}),
        ("enterprise=" + CREDIT_CODE.lower(), {"MEMBER_B"}),
        ("is_pocket=true", {"MEMBER_A1"}),
        ("include_left=true&organization=BRANCH_A", {"MEMBER_A", "LEFT_A"}),
        ("q=wang", {"MEMBER_A"}),
        ("q=1391111", {"MEMBER_A"}),  # phone
        ("needs=lost_contact", {"MEMBER_B"}),
    ],
)
def test_filters(api_as, roster, query, expected):
    response = api_as("city_admin").get("/api/v1/members/?" + query)
    assert ids(response) == {roster[key].pk for key in expected}


def test_search_by_the_last_digits_of_the_id_number(api_as, roster):
    member = roster["MEMBER_C"]
    for tail in (member.id_number[-4:], member.id_number[-6:]):
        assert ids(api_as("city_admin").get("/api/v1/members/?q=" + tail)) == {member.pk}
    # Digits in the middle are not a suffix: no match by ID (and no phone has them).
    assert member.pk not in ids(api_as("city_admin").get("/api/v1/members/?q=" + member.id_number[2:8]))


def test_id_suffix_search_uses_the_reversed_index(roster):
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        # No ORDER BY (the model orders by organization path): with one, PostgreSQL 18 may prefer
        # walking another index in order, which says nothing about the suffix search itself.
        sql, params = Member.objects.id_number_ends_with("1234").order_by().values("pk").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = " ".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "member_id_number_reversed" in plan, plan


def test_a_malformed_enterprise_filter_is_400(api_as, roster):
    response = api_as("city_admin").get("/api/v1/members/?enterprise=123")
    assert response.status_code == 400
    assert "enterprise" in response.json()


def test_staff_and_own_secretary_see_full_personal_data(api_as, roster):
    member = roster["MEMBER_A"]
    for role in ("city_admin", "county_staff", "secretary_a"):
        row = api_as(role).get("/api/v1/members/{}/".format(member.pk)).json()
        assert row["id_number"] == member.id_number and row["phone"] == member.phone, role


def test_masked_for_a_role_without_personal_data_rights(api_as, roster, monkeypatch):
    # A role that may see members but not their personal data gets masks in lists and details.
    monkeypatch.setitem(Member.scope_actions, "secretary", {"view", "add", "change"})
    member = roster["MEMBER_A"]
    client = api_as("secretary_a")
    row = client.get("/api/v1/members/{}/".format(member.pk)).json()
    assert row["id_number"] == member.id_number[:3] + "*" * 11 + member.id_number[-4:]
    assert row["phone"] == "139****2222"
    listed = {r["id"]: r for r in client.get("/api/v1/members/").json()["results"]}
    assert listed[member.pk]["id_number"] == row["id_number"]
    assert member.id_number not in client.get("/api/v1/members/").content.decode()
    # City staff still see everything on the same request path.
    assert api_as("county_staff").get("/api/v1/members/{}/".format(member.pk)).json()["id_number"] == member.id_number


def test_list_query_count_is_pinned(api_as, roster, make_member, django_assert_num_queries):
    for index in range(20):
        make_member("BRANCH_B", name="Extra {}".format(index))
    client = api_as("county_staff")
    # 1 the caller's role assignments (scope), 2 the count, 3 the page (organization joined,
    # in-transit as an EXISTS subquery). Masking is decided in Python: no query per row.
    with django_assert_num_queries(3):
        response = client.get("/api/v1/members/?page_size=100")
    assert response.json()["count"] == 23


def test_detail_query_count_is_pinned(api_as, roster, django_assert_num_queries):
    client = api_as("county_staff")
    # 1 the caller's role assignments (scope), 2 the member with its organization and in-transit flag.
    with django_assert_num_queries(2):
        response = client.get("/api/v1/members/{}/".format(roster["MEMBER_A"].pk))
    assert response.status_code == 200


def test_members_are_never_deleted(api_as, roster):
    response = api_as("city_admin").delete("/api/v1/members/{}/".format(roster["MEMBER_A"].pk))
    assert response.status_code == 405
    assert Member.objects.filter(pk=roster["MEMBER_A"].pk).exists()


def test_exit_records_reason_and_date(api_as, roster):
    member = roster["MEMBER_A"]
    url = "/api/v1/members/{}/exit/".format(member.pk)
    response = api_as("secretary_a").post(url, {"reason": "withdrawal", "left_on": "2025-01-02"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["left_on"] == "2025-01-02" and response.json()["exit_reason"] == "withdrawal"
    assert member.pk not in ids(api_as("secretary_a").get("/api/v1/members/"))
    assert member.pk in ids(api_as("secretary_a").get("/api/v1/members/?include_left=true"))
    # Still readable by id; a second exit is a conflict.
    assert api_as("secretary_a").get("/api/v1/members/{}/".format(member.pk)).status_code == 200
    assert api_as("secretary_a").post(url, {"reason": "death"}, format="json").status_code == 409


def test_exit_validation_and_scope(api_as, roster):
    member = roster["MEMBER_A"]
    url = "/api/v1/members/{}/exit/".format(member.pk)
    assert api_as("secretary_a").post(url, {"reason": "holiday"}, format="json").status_code == 400
    future = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    assert api_as("secretary_a").post(url, {"reason": "death", "left_on": future}, format="json").status_code == 400
    assert api_as("secretary_b").post(url, {"reason": "death"}, format="json").status_code == 404
    assert api_as("reader").post(url, {"reason": "death"}, format="json").status_code == 403
    member.refresh_from_db()
    assert member.is_current


def test_duplicate_id_number_is_a_clear_400(api_as, roster):
    existing = roster["MEMBER_C"]
    payload = new_member(id_number=existing.id_number, birth_date=existing.birth_date.isoformat(), gender="female")
    response = api_as("secretary_a").post("/api/v1/members/", payload, format="json")
    assert response.status_code == 400
    # MEMBER_C is outside secretary_a's scope: a neutral refusal (issue 8), never "another member".
    assert response.json()["id_number"] == ["This person cannot be registered here; ask the organization department."]
    # The answer never echoes the number itself.
    assert existing.id_number not in response.content.decode()


def test_validation_errors_are_on_their_fields(api_as, roster):
    payload = new_member(status="formal", full_member_on=None, gender="male")
    response = api_as("secretary_a").post("/api/v1/members/", payload, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"gender", "full_member_on"}


def test_moving_a_member_out_of_scope_is_refused(api_as, roster):
    member = roster["MEMBER_A"]
    response = api_as("secretary_a").patch("/api/v1/members/{}/".format(member.pk), {"organization": "BRANCH_B"}, format="json")
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.organization.code == "BRANCH_A"


def test_left_and_transit_fields_are_read_only(api_as, roster):
    member = roster["MEMBER_A"]
    response = api_as("secretary_a").patch(
        "/api/v1/members/{}/".format(member.pk), {"left_on": "2020-01-01", "exit_reason": "death"}, format="json"
    )
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.is_current


def test_a_duplicate_that_slips_past_clean_is_still_a_400(api_as, roster, monkeypatch):
    # Two concurrent saves both pass clean(); the unique index refuses the second one.
    monkeypatch.setattr(Member, "_id_number_taken", lambda self: False)
    monkeypatch.setattr(Member, "validate_constraints", lambda self, exclude=None, using=None: None)
    existing = roster["MEMBER_C"]
    payload = new_member(id_number=existing.id_number, birth_date=existing.birth_date.isoformat(), gender="female")
    response = api_as("secretary_a").post("/api/v1/members/", payload, format="json")
    assert response.status_code == 400
    assert response.json() == {"id_number": ["This person cannot be registered here; ask the organization department."]}
    assert Member.objects.filter(id_number=existing.id_number).count() == 1
