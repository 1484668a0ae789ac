"""Issue 8, finding 3: dates near 9999-12-31 are a message, never a 500 (date arithmetic past the
calendar's last year: a member's joining age, a transfer letter's default validity, an
organization's term of office, which PostgreSQL computes into ``term_expires_on``).

Pages and the API may refuse such dates earlier, with a generic range check of the portal's own;
the model tests below hold the members app's rules to the same answer without it (the import and
any other caller of ``clean()`` reach them directly)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from members.models import Member, Organization, TransferLetter
from members.models.members import add_years
from tests.conftest import valid_id_number
from tests.members.import_helpers import csv_bytes, row, upload

pytestmark = pytest.mark.django_db

LAST_DAY = "9999-12-31"


def test_add_years_past_the_calendar_raises_overflow():
    assert add_years(datetime.date(2024, 2, 29), 1) == datetime.date(2025, 2, 28)
    assert add_years(datetime.date(9990, 1, 1), 9) == datetime.date(9999, 1, 1)
    with pytest.raises(OverflowError):
        add_years(datetime.date(9999, 12, 31), 18)


# ---------------------------------------------------------------------------------------------
# Members: birth date.


def member_payload(**overrides):
    payload = {
        "name": "Late", "gender": "female", "birth_date": LAST_DAY, "id_number": valid_id_number("19950505", "124"),
        "organization": "BRANCH_A", "status": "probationary", "joined_on": "2025-06-01", "full_member_on": None,
        "categories": [], "activity_status": "normal", "enterprise": None, "is_pocket": False,
    }
    payload.update(overrides)
    return payload


@pytest.mark.parametrize("id_number", [valid_id_number("19950505", "124"), "1234"])
def test_api_birth_date_at_the_end_of_time_is_a_400(api_as, users, id_number):
    response = api_as("secretary_a").post("/api/v1/members/", member_payload(id_number=id_number), format="json")
    assert response.status_code == 400
    assert "birth_date" in response.json()
    assert not Member.objects.exists()


def test_form_birth_date_at_the_end_of_time_is_a_form_error(client_as, tree):
    data = {
        "name": "Late", "gender": "male", "birth_date": LAST_DAY, "id_number": "1234",
        "organization": tree["BRANCH_A"].pk, "status": "probationary", "joined_on": "2015-07-01",
        "activity_status": "normal",
    }
    response = client_as("secretary_a").post("/members/add/", data)
    assert response.status_code == 400
    assert "birth_date" in response.context["form"].errors


def test_model_birth_date_at_the_end_of_time_is_a_validation_error(tree):
    member = Member(
        name="Late", gender="male", birth_date=datetime.date(9999, 12, 31), id_number="1234",
        organization=tree["BRANCH_A"], status="probationary", joined_on=datetime.date(2015, 7, 1),
    )
    with pytest.raises(ValidationError) as refused:
        member.clean()
    assert refused.value.message_dict["birth_date"] == ["The birth date cannot be in the future."]


def test_import_birth_date_at_the_end_of_time_is_a_row_error(api_as, users):
    data = csv_bytes([row(birth_date=LAST_DAY, id_number="1234")])
    response = api_as("secretary_a").post("/api/v1/members/import/", {"file": upload(data)}, format="multipart")
    assert response.status_code == 400
    assert {"row": 1, "field": "birth_date", "message": "The birth date cannot be in the future."} in response.json()["errors"]


# ---------------------------------------------------------------------------------------------
# Transfer letters: issue date, and the default validity computed from it.


@pytest.fixture
def member_a(make_member):
    return make_member("BRANCH_A", name="Wang A")


def test_api_issue_date_at_the_end_of_time_is_a_400(api_as, member_a):
    response = api_as("secretary_a").post(
        "/api/v1/transfers/",
        {"member": member_a.pk, "to_organization": "BRANCH_B", "reason": "Moved", "issued_on": LAST_DAY},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["issued_on"]
    assert not TransferLetter.objects.exists()


def test_model_issue_date_at_the_end_of_time_is_a_validation_error(member_a, tree):
    letter = TransferLetter(
        member=member_a, from_organization=tree["BRANCH_A"], to_organization=tree["BRANCH_B"], reason="Moved",
        issued_on=datetime.date(9999, 12, 31),
    )
    with pytest.raises(ValidationError) as refused:
        letter.clean()
    assert list(refused.value.message_dict) == ["issued_on"]
    # No arithmetic is needed when the issuer gives the validity.
    letter.valid_until = datetime.date(9999, 12, 31)
    letter.clean()


def test_form_issue_date_at_the_end_of_time_is_a_form_error(client_as, member_a):
    response = client_as("secretary_a").post(
        "/members/{}/transfer/".format(member_a.pk), {"to_organization": "BRANCH_B", "reason": "Moved", "issued_on": LAST_DAY}
    )
    assert response.status_code == 400
    assert "issued_on" in response.context["form"].errors
    assert not TransferLetter.objects.exists()


# ---------------------------------------------------------------------------------------------
# Organizations: the term of office.


def test_api_term_past_the_year_9999_is_a_400(api_as, tree):
    response = api_as("county_staff").post(
        "/api/v1/organizations/",
        {"code": "LATE", "name": "Late", "kind": "branch", "sector": "rural", "parent": "TOWN",
         "term_started_on": "9999-01-01", "term_years": 5},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["term_started_on"]
    assert not Organization.objects.filter(code="LATE").exists()


def test_api_term_change_past_the_year_9999_is_a_400(api_as, tree):
    response = api_as("county_staff").patch(
        "/api/v1/organizations/BRANCH_A/", {"term_started_on": "9998-06-01"}, format="json"
    )
    assert response.status_code == 400 and "term_started_on" in response.json()
    tree["BRANCH_A"].refresh_from_db()
    assert tree["BRANCH_A"].term_expires_on == datetime.date(2021, 1, 1)


def test_model_term_past_the_year_9999_is_a_validation_error(tree):
    organization = Organization(
        code="LATE", name="Late", kind="branch", sector="rural", parent=tree["TOWN"],
        term_started_on=datetime.date(9996, 1, 1), term_years=5,
    )
    with pytest.raises(ValidationError) as refused:
        organization.clean()
    assert list(refused.value.message_dict) == ["term_started_on"]
    organization.term_years = 3
    organization.clean()


def test_form_term_past_the_year_9999_is_a_form_error(client_as, tree):
    response = client_as("county_staff").post(
        "/organizations/add/",
        {"code": "LATE", "name": "Late", "kind": "branch", "sector": "rural", "parent": tree["TOWN"].pk,
         "term_started_on": "9999-01-01", "term_years": "5", "is_active": "on"},
    )
    assert response.status_code == 400
    assert "term_started_on" in response.context["form"].errors
    assert not Organization.objects.filter(code="LATE").exists()
