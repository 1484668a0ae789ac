"""Member pages: list with masking, detail with history, forms, exit, transfers, my branch."""

import datetime

import pytest

from members.models import Member, TransferLetter
from tests.bases.pages import DetailPageTests, EditPageTests, ListPageTests
from tests.conftest import valid_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(make_member):
    return make_member("BRANCH_A", name="Wang A", phone="13911112222")


def test_pages_render(client_as, member):
    client = client_as("secretary_a")
    for url in ("/members/", "/members/{}/".format(member.pk), "/members/{}/edit/".format(member.pk),
                "/members/add/", "/members/{}/exit/".format(member.pk), "/members/{}/transfer/".format(member.pk),
                "/census/BRANCH_A/", "/transfers/"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:2000])


def test_list_and_detail_show_full_data_to_the_branch_secretary(client_as, member):
    client = client_as("secretary_a")
    assert member.id_number in client.get("/members/").content.decode()
    assert member.phone in client.get("/members/{}/".format(member.pk)).content.decode()


def test_masked_everywhere_for_a_role_without_personal_data_rights(client_as, member, monkeypatch):
    member.phone = "13933334444"
    member.save()  # a change with personal data in the history
    monkeypatch.setitem(Member.scope_actions, "secretary", {"view", "add", "change"})
    client = client_as("secretary_a")
    for url in ("/members/", "/members/{}/".format(member.pk)):
        content = client.get(url).content.decode()
        assert "Wang A" in content
        assert member.id_number not in content, url
        assert "13933334444" not in content and "13911112222" not in content, url
        assert member.id_number[-4:] in content and "139****4444" in content, url
    # The history is there, masked.
    assert "139****2222" in client.get("/members/{}/".format(member.pk)).content.decode()


def test_search_by_id_suffix_on_the_page(client_as, member, make_member):
    make_member("BRANCH_A", name="Other")
    content = client_as("secretary_a").get("/members/?q=" + member.id_number[-4:]).content.decode()
    assert "Wang A" in content and "Other" not in content


def test_create_through_the_form_reports_errors_on_fields(client_as, tree):
    client = client_as("secretary_a")
    data = {
        "name": "Form Member",
        "gender": "female",  # the number below is a man's
        "birth_date": "1990-01-01",
        "id_number": valid_id_number("19900101", "777"),
        "phone": "13800000000",
        "organization": tree["BRANCH_A"].pk,
        "status": "formal",
        "joined_on": "2015-07-01",
        "full_member_on": "",
        "activity_status": "normal",
    }
    response = client.post("/members/add/", data)
    assert response.status_code == 400
    assert response.context["form"].errors.keys() == {"gender", "full_member_on"}
    data.update(gender="male", full_member_on="2016-07-01", categories=["rural", "retired"])
    response = client.post("/members/add/", data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    created = Member.objects.get(name="Form Member")
    assert created.categories == ["rural", "retired"] and created.organization.code == "BRANCH_A"
    # A branch the secretary does not hold is not a choice.
    data.update(name="Elsewhere", id_number=valid_id_number("19900101", "779"), organization=tree["BRANCH_B"].pk)
    assert client.post("/members/add/", data).status_code == 400
    assert not Member.objects.filter(name="Elsewhere").exists()


class TestMemberPages(ListPageTests, DetailPageTests, EditPageTests):
    """Members are never deleted (they leave the roster): list, detail and edit per role."""

    model = Member
    list_url = "/members/"
    detail_url = "/members/{member}/"
    edit_url = "/members/{member}/edit/"
    list_status = {"secretary_a": 200, "county_staff": 200, "city_admin": 200, "reader": 403, "anonymous": 302}
    list_shows = {"secretary_a": ["Wang A"], "county_staff": ["Wang A"]}
    list_hides = {"secretary_b": ["Wang A"]}
    detail_status = {"secretary_a": 200, "county_staff": 200, "secretary_b": 404, "reader": 403, "anonymous": 302}
    edit_status = {"secretary_a": 200, "secretary_b": 404, "anonymous": 302}
    edit_refused = {"secretary_b": 404, "reader": 403, "anonymous": 302}
    edit_payload = {"name": "Hacked"}

    @pytest.fixture
    def world(self, tree, users, make_member):
        return {"member": make_member("BRANCH_A", name="Wang A", phone="13911112222").pk}


def test_another_branch_secretary_gets_404_and_changes_nothing(client_as, member):
    """The member's own pages beyond list/detail/edit (``TestMemberPages``): exit and transfer."""
    client = client_as("secretary_b")
    before = list(Member.objects.values())
    for url in ("/members/{}/exit/", "/members/{}/transfer/"):
        assert client.get(url.format(member.pk)).status_code == 404, url
    assert client.post("/members/{}/exit/".format(member.pk), {"reason": "death", "left_on": "2025-01-01"}).status_code == 404
    assert client.post("/members/{}/transfer/".format(member.pk), {"to_organization": "BRANCH_B", "reason": "x"}).status_code == 404
    assert list(Member.objects.values()) == before
    assert not TransferLetter.objects.exists()


def test_exit_page_records_the_exit(client_as, member):
    client = client_as("secretary_a")
    response = client.post("/members/{}/exit/".format(member.pk), {"reason": "withdrawal", "left_on": "2025-03-01"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.left_on == datetime.date(2025, 3, 1) and member.exit_reason == "withdrawal"
    client.get("/members/")  # shows (and consumes) the success message
    assert "Wang A" not in client.get("/members/").content.decode()
    assert "Wang A" in client.get("/members/?include_left=true").content.decode()


def test_transfer_through_the_pages(client_as, member):
    response = client_as("secretary_a").post(
        "/members/{}/transfer/".format(member.pk), {"to_organization": "BRANCH_B", "reason": "Moved", "issued_on": datetime.date.today().isoformat()}
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    letter = TransferLetter.objects.get()
    assert "In transit" in client_as("secretary_a").get("/members/").content.decode()
    assert "In transit" in client_as("secretary_a").get("/members/{}/".format(member.pk)).content.decode()
    # Secretary A may not accept; secretary B sees the letter and accepts it.
    assert client_as("secretary_a").post("/transfers/{}/accept/".format(letter.pk)).status_code == 403
    detail = client_as("secretary_b").get("/transfers/{}/".format(letter.pk))
    assert detail.status_code == 200 and member.id_number not in detail.content.decode()
    assert client_as("secretary_b").post("/transfers/{}/accept/".format(letter.pk)).status_code == 302
    member.refresh_from_db()
    assert member.organization.code == "BRANCH_B"


def test_secretary_lands_on_their_branch_after_login(client, users):
    response = client.post("/login/", {"username": "secretary_a", "password": "pw-secretary_a"}, follow=True)
    assert response.redirect_chain[-1][0] == "/members/?within=BRANCH_A"
    assert response.status_code == 200


def test_others_land_on_home_after_login(client, users):
    response = client.post("/login/", {"username": "county_staff", "password": "pw-county_staff"}, follow=True)
    assert response.redirect_chain[-1][0] == "/"


def test_a_duplicate_that_slips_past_clean_is_a_form_error(client_as, tree, make_member, monkeypatch):
    existing = make_member("BRANCH_B")
    monkeypatch.setattr(Member, "_id_number_taken", lambda self: False)
    monkeypatch.setattr(Member, "validate_constraints", lambda self, exclude=None, using=None: None)
    data = {
        "name": "Twin", "gender": "male", "birth_date": "1990-01-01", "id_number": existing.id_number,
        "organization": tree["BRANCH_A"].pk, "status": "formal", "joined_on": "2015-07-01",
        "full_member_on": "2016-07-01", "activity_status": "normal",
    }
    response = client_as("secretary_a").post("/members/add/", data)
    assert response.status_code == 400
    assert "id_number" in response.context["form"].errors
    assert not Member.objects.filter(name="Twin").exists()
