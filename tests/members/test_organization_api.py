"""The organization API: CRUD and scope through the generic test base, plus its own rules."""

import pytest

from members.models import Organization
from tests.base import APIViewTestCase
from tests.matrix import Case, MatrixTests, everyone

pytestmark = pytest.mark.django_db

COUNTY_SUBTREE = {"COUNTY", "TOWN", "BRANCH_A", "GROUP_A1", "BRANCH_B"}


class TestOrganizationAPI(APIViewTestCase):
    model = Organization
    list_url = "/api/v1/organizations/"
    lookup = "code"
    list_visible = {
        "city_admin": {"CITY", "COUNTY", "TOWN", "BRANCH_A", "GROUP_A1", "BRANCH_B", "COUNTY2", "BRANCH_C"},
        "county_staff": COUNTY_SUBTREE,
        "secretary_a": {"BRANCH_A", "GROUP_A1"},
        "secretary_b": {"BRANCH_B"},
    }
    list_denied = {"reader": 403, "anonymous": 401}
    detail = ("county_staff", "BRANCH_A")
    read_only = ("secretary_a", "BRANCH_A")
    out_of_scope = ("county_staff", "BRANCH_C")
    create = ("county_staff", {"code": "NEW_BRANCH", "name": "New", "kind": "branch", "sector": "rural", "parent": "TOWN"})
    create_refused = (
        # A parent outside the scope reads as unknown: 400 on the field, never a hint it exists.
        ("county_staff", {"code": "X1", "name": "X", "kind": "branch", "sector": "rural", "parent": "BRANCH_C"}, 400),
        # Only a city administrator may create a root.
        ("county_staff", {"code": "X2", "name": "X", "kind": "committee", "sector": "organ", "parent": None}, 403),
        ("secretary_a", {"code": "X3", "name": "X", "kind": "group", "sector": "organ", "parent": "BRANCH_A"}, 403),
        ("reader", {"code": "X4", "name": "X", "kind": "branch", "sector": "organ", "parent": "TOWN"}, 403),
        ("anonymous", {"code": "X5", "name": "X", "kind": "branch", "sector": "organ", "parent": "TOWN"}, 401),
        # The code is the stable external key: a duplicate is refused.
        ("city_admin", {"code": "TOWN", "name": "X", "kind": "branch", "sector": "organ", "parent": "CITY"}, 400),
    )
    update = ("county_staff", "BRANCH_B", {"name": "Renamed", "term_started_on": "2024-05-01", "term_years": 3},
              {"name": "Renamed", "term_expires_on": "2027-05-01"})
    delete = ("county_staff", "GROUP_A1")


def test_root_is_created_by_city_admin_only(api_as):
    response = api_as("city_admin").post(
        "/api/v1/organizations/", {"code": "ROOT2", "name": "Root", "kind": "committee", "sector": "organ"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["depth"] == 1 and response.json()["parent"] is None


def test_code_cannot_change_after_create(api_as):
    response = api_as("county_staff").patch("/api/v1/organizations/BRANCH_B/", {"code": "OTHER"}, format="json")
    assert response.status_code == 200
    assert Organization.objects.filter(code="BRANCH_B").exists() and not Organization.objects.filter(code="OTHER").exists()


def test_move_moves_subtree_and_needs_scope_at_destination(api_as, tree):
    # County staff may not move their town out to another county they cannot see.
    response = api_as("county_staff").patch("/api/v1/organizations/TOWN/", {"parent": "COUNTY2"}, format="json")
    assert response.status_code == 400
    response = api_as("city_admin").patch("/api/v1/organizations/TOWN/", {"parent": "COUNTY2"}, format="json")
    assert response.status_code == 200, response.content
    group = Organization.objects.get(code="GROUP_A1")
    assert group.path.startswith(Organization.objects.get(code="COUNTY2").path)
    assert api_as("city_admin").get("/api/v1/organizations/GROUP_A1/").json()["depth"] == 5


def test_cannot_move_under_own_subtree(api_as):
    response = api_as("city_admin").patch("/api/v1/organizations/COUNTY/", {"parent": "BRANCH_A"}, format="json")
    assert response.status_code == 400
    assert "parent" in response.json()


def test_delete_with_children_is_refused_with_reason(api_as):
    response = api_as("county_staff").delete("/api/v1/organizations/TOWN/")
    assert response.status_code == 400
    assert "subordinate" in str(response.json())
    assert Organization.objects.filter(code="TOWN").exists()


def test_delete_while_users_hold_roles_is_refused(api_as):
    response = api_as("county_staff").delete("/api/v1/organizations/BRANCH_B/")
    assert response.status_code == 400
    assert "roles" in str(response.json())


def test_filters(api_as):
    client = api_as("city_admin")

    def codes(query):
        response = client.get("/api/v1/organizations/?page_size=100&" + query)
        assert response.status_code == 200, response.content
        return {row["code"] for row in response.json()["results"]}

    assert codes("kind=branch") == {"BRANCH_A", "BRANCH_B", "BRANCH_C"}
    assert codes("sector=enterprise") == {"BRANCH_C"}
    assert codes("parent=TOWN") == {"BRANCH_A", "BRANCH_B"}
    assert codes("within=TOWN") == {"TOWN", "BRANCH_A", "GROUP_A1", "BRANCH_B"}
    assert codes("q=branch_") == {"BRANCH_A", "BRANCH_B", "BRANCH_C"}
    assert "BRANCH_A" in codes("term_overdue=true") and "BRANCH_B" not in codes("term_overdue=true")
    assert codes("within=TOWN&kind=group") == {"GROUP_A1"}


def test_within_outside_scope_is_404(api_as):
    assert api_as("county_staff").get("/api/v1/organizations/?within=COUNTY2").status_code == 404
    assert api_as("county_staff").get("/api/v1/organizations/?within=NOPE").status_code == 404


def test_list_query_count_is_constant(api_as, django_assert_num_queries, tree):
    client = api_as("county_staff")
    # 1 role assignments (scope), 2 count, 3 page of organizations with their parents.
    with django_assert_num_queries(3):
        assert client.get("/api/v1/organizations/").status_code == 200


def test_detail_query_count(api_as, django_assert_num_queries):
    client = api_as("county_staff")
    # 1 role assignments (scope), 2 the organization with its parent.
    with django_assert_num_queries(2):
        assert client.get("/api/v1/organizations/BRANCH_A/").status_code == 200


def test_page_size_is_capped_at_1000(api_as, tree):
    response = api_as("city_admin").get("/api/v1/organizations/?page_size=5000")
    assert response.status_code == 200
    assert response.json()["count"] == len(tree)


class TestOrganizationMatrix(MatrixTests):
    """Every organization endpoint and page × every role."""

    model = Organization
    cases = [
        Case("GET", "/api/v1/organizations/", everyone(200, reader=403, anonymous=401)),
        Case("GET", "/api/v1/organizations/{BRANCH_A}/", everyone(200, secretary_b=404, reader=403, anonymous=401)),
        Case("GET", "/api/v1/organizations/{BRANCH_C}/", everyone(404, city_admin=200, reader=403, anonymous=401)),
        Case("PATCH", "/api/v1/organizations/{BRANCH_A}/", everyone(403, city_admin=200, county_staff=200,
             secretary_b=404, anonymous=401), data={"name": "Changed"}),
        Case("DELETE", "/api/v1/organizations/{GROUP_A1}/", everyone(403, city_admin=204, county_staff=204,
             secretary_b=404, anonymous=401)),
        Case("POST", "/api/v1/organizations/", everyone(403, city_admin=201, county_staff=201, anonymous=401),
             data={"code": "MATRIX", "name": "M", "kind": "group", "sector": "organ", "parent": "{BRANCH_B}"}),
        # Pages.
        Case("GET", "/", everyone(200, anonymous=302), api=False),
        Case("GET", "/organizations/", everyone(200, reader=403, anonymous=302), api=False),
        Case("GET", "/organizations/tree/", everyone(200, reader=403, anonymous=302), api=False),
        Case("GET", "/organizations/tree/?parent={TOWN}", everyone(404, city_admin=200, county_staff=200,
             reader=403, anonymous=302), api=False),
        Case("GET", "/organizations/{BRANCH_A}/", everyone(200, secretary_b=404, reader=403, anonymous=302), api=False),
        Case("GET", "/organizations/{BRANCH_A}/edit/", everyone(403, city_admin=200, county_staff=200,
             secretary_b=404, anonymous=302), api=False),
        Case("POST", "/organizations/{BRANCH_B}/edit/", everyone(403, city_admin=302, county_staff=302,
             secretary_a=404, anonymous=302), api=False,
             data={"name": "Changed", "kind": "branch", "sector": "organ", "parent": "{TOWN_PK}", "is_active": "on"}),
        Case("GET", "/organizations/add/", everyone(403, city_admin=200, county_staff=200, anonymous=302), api=False),
        Case("GET", "/organizations/{BRANCH_C}/delete/", everyone(404, city_admin=200, reader=403, anonymous=302),
             api=False),
        Case("POST", "/organizations/{GROUP_A1}/delete/", everyone(403, city_admin=302, county_staff=302,
             secretary_b=404, anonymous=302), api=False),
        # The schema and its docs are public: clients read them before they hold a token.
        Case("GET", "/api/v1/schema/", everyone(200)),
        Case("GET", "/api/v1/docs/", everyone(200)),
    ]

    @pytest.fixture
    def world(self, tree, users):
        return {**{code: code for code in tree}, "TOWN_PK": tree["TOWN"].pk}
