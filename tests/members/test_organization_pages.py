"""Organization pages: tree, list, detail, edit, delete, scoped like the API."""

import pytest

from members.models import Organization
from tests.bases.pages import PageViewTestCase

pytestmark = pytest.mark.django_db


def test_tree_starts_at_the_top_of_the_user_scope(client_as):
    page = client_as("county_staff").get("/organizations/tree/").content.decode()
    assert 'data-code="COUNTY"' in page and 'data-code="CITY"' not in page
    page = client_as("city_admin").get("/organizations/tree/").content.decode()
    assert 'data-code="CITY"' in page


def test_tree_children_fragment_and_scope(client_as):
    fragment = client_as("county_staff").get("/organizations/tree/?parent=TOWN").content.decode()
    assert 'data-code="BRANCH_A"' in fragment and 'data-code="BRANCH_B"' in fragment
    assert client_as("county_staff").get("/organizations/tree/?parent=COUNTY2").status_code == 404


def test_tree_search_by_name_or_code_stays_in_scope(client_as):
    page = client_as("county_staff").get("/organizations/tree/?q=branch").content.decode()
    assert "BRANCH_A" in page and "BRANCH_C" not in page
    assert "Town" in page  # the match's place in the tree


def test_list_filters_and_search(client_as):
    page = client_as("city_admin").get("/organizations/?kind=branch&q=_a").content.decode()
    assert "BRANCH_A" in page and "BRANCH_B" not in page


def test_edit_form_offers_only_parents_in_scope(client_as, tree):
    page = client_as("county_staff").get("/organizations/add/").content.decode()
    assert 'value="{}"'.format(tree["TOWN"].pk) in page
    assert 'value="{}"'.format(tree["BRANCH_C"].pk) not in page


def test_crafted_post_with_parent_out_of_scope_is_rejected(client_as, tree):
    response = client_as("county_staff").post(
        "/organizations/add/",
        {"code": "SNEAK", "name": "Sneak", "kind": "branch", "sector": "organ", "parent": tree["BRANCH_C"].pk},
    )
    assert response.status_code == 400
    assert not Organization.objects.filter(code="SNEAK").exists()


def test_staff_cannot_create_a_root(client_as):
    response = client_as("county_staff").post(
        "/organizations/add/", {"code": "ROOT", "name": "Root", "kind": "committee", "sector": "organ"}
    )
    assert response.status_code == 400
    assert "city administrator" in response.content.decode()


def test_create_then_detail(client_as, tree):
    response = client_as("county_staff").post(
        "/organizations/add/",
        {"code": "NEWB", "name": "New branch", "kind": "branch", "sector": "rural", "parent": tree["TOWN"].pk,
         "term_started_on": "2024-01-01", "term_years": "3", "is_active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Organization.objects.get(code="NEWB")
    assert created.parent == tree["TOWN"] and str(created.term_expires_on) == "2027-01-01"


def test_delete_page_explains_why_not(client_as):
    response = client_as("county_staff").post("/organizations/TOWN/delete/")
    assert response.status_code == 409
    assert "subordinate" in response.content.decode()
    assert Organization.objects.filter(code="TOWN").exists()


def test_detail_shows_history_and_hides_buttons_from_read_only_roles(client_as):
    page = client_as("secretary_a").get("/organizations/BRANCH_A/").content.decode()
    assert "/organizations/BRANCH_A/edit/" not in page
    page = client_as("county_staff").get("/organizations/BRANCH_A/").content.decode()
    assert "/organizations/BRANCH_A/edit/" in page and "History" in page


def test_long_parent_choice_becomes_a_code_input(client_as, tree):
    town = tree["TOWN"]
    Organization.objects.bulk_create(
        [Organization(code="G{}".format(i), name="g", kind="branch", sector="organ", parent=town,
                      path=town.path + "z{:05d}".format(i)) for i in range(205)]
    )
    page = client_as("county_staff").get("/organizations/add/").content.decode()
    assert 'name="parent"' in page and "<select name=\"parent\"" not in page
    response = client_as("county_staff").post(
        "/organizations/add/", {"code": "BYCODE", "name": "By code", "kind": "group", "sector": "organ", "parent": "BRANCH_B"}
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    assert Organization.objects.get(code="BYCODE").parent.code == "BRANCH_B"


def test_delete_page_refuses_when_other_records_point_to_it(client_as, tree, make_member):
    import datetime

    from members.models.transfers import TransferLetter

    member = make_member("BRANCH_A")
    empty = Organization.objects.create(code="EMPTY", name="Empty", kind="branch", sector="organ", parent=tree["TOWN"])
    TransferLetter.objects.create(
        letter_number="L-1", member=member, from_organization=tree["BRANCH_A"], to_organization=empty,
        reason="moving", valid_until=datetime.date.today() + datetime.timedelta(days=30),
    )
    response = client_as("county_staff").post("/organizations/EMPTY/delete/")
    assert response.status_code == 409
    assert Organization.objects.filter(code="EMPTY").exists()


class TestOrganizationPages(PageViewTestCase):
    """Each page per role: out of scope is 404, read-only roles 403 on writes, nothing changes."""

    model = Organization
    list_url = "/organizations/"
    detail_url = "/organizations/{BRANCH_A}/"
    edit_url = "/organizations/{BRANCH_A}/edit/"
    delete_url = "/organizations/{BRANCH_B}/delete/"
    list_status = {"county_staff": 200, "secretary_a": 200, "city_admin": 200, "anonymous": 302}
    list_shows = {"county_staff": ["BRANCH_A", "TOWN"], "secretary_a": ["BRANCH_A"]}
    list_hides = {"county_staff": ["BRANCH_C"], "secretary_a": ["BRANCH_B", "BRANCH_C"]}
    detail_status = {"county_staff": 200, "secretary_a": 200, "secretary_b": 404, "city_admin": 200, "anonymous": 302}
    edit_status = {"county_staff": 200, "secretary_a": 403, "secretary_b": 404, "anonymous": 302}
    edit_refused = {"secretary_a": 403, "secretary_b": 404, "anonymous": 302}
    edit_payload = {"code": "BRANCH_A", "name": "Renamed", "kind": "branch", "sector": "organ"}
    delete_status = {"county_staff": 200, "secretary_a": 404, "secretary_b": 403, "anonymous": 302}
    delete_refused = {"secretary_a": 404, "secretary_b": 403, "anonymous": 302}
