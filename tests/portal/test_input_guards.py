"""The shared input guards (``portal.input_guards``) where they sit: the API's parsers, the base
serializer, the base form and the request middleware (security audit, issue 8 finding 3).

``test_hostile_inputs.py`` walks every endpoint and form for server errors; these pin the answers.
"""

import datetime
import json

import pytest
from django import forms
from rest_framework import serializers
from rest_framework.test import APIClient

from appraisal import services
from appraisal.models import AppraisalRound
from members.models import Organization
from portal.api.serializers import Serializer
from portal.forms import BootstrapFormMixin
from tests import hostile

pytestmark = pytest.mark.django_db


def post_json(client, url, body, method="post"):
    text = body if isinstance(body, str) else json.dumps(body)
    return getattr(client, method)(url, text, content_type="application/json")


# --- the JSON parser ------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [hostile.deep_array(), hostile.deep_object(), hostile.deep_array(65)])
def test_deeply_nested_json_is_a_400_with_a_message_even_without_login(body):
    response = post_json(APIClient(), "/api/v1/auth/token/", body)
    assert response.status_code == 400
    assert "nested more than 64 levels" in response.json()["detail"]


def test_json_nested_within_the_limit_reaches_the_view(users):
    response = post_json(APIClient(), "/api/v1/auth/token/", hostile.deep_array(64))
    assert response.status_code == 400
    assert "detail" not in response.json()  # the serializer's answer: the body is not an object


def test_invalid_json_is_a_400_with_a_message():
    response = post_json(APIClient(), "/api/v1/auth/token/", '{"username": ')
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_lone_surrogate_in_a_choice_is_a_field_error(api_as, tree):
    # DRF's choice field quoted the value in its message, which then could not be encoded: a 500.
    body = {"code": "SUR", "name": "n", "kind": "branch\ud800", "sector": "organ", "parent": "TOWN"}
    response = post_json(api_as("city_admin"), "/api/v1/organizations/", body)
    assert response.status_code == 400
    assert response.json() == {"kind": ["Surrogate characters are not allowed: U+D800."]}


def test_nul_in_a_plain_slug_reference_is_a_field_error(api_as, make_member):
    member = make_member("BRANCH_A")
    body = {"member": member.pk, "to_organization": "BRANCH_B\x00", "reason": "r"}
    response = post_json(api_as("city_admin"), "/api/v1/transfers/", body)
    assert response.status_code == 400
    assert response.json() == {"to_organization": ["Null characters are not allowed."]}


def test_nul_in_a_key_or_inside_a_list_body_is_refused(api_as, tree, make_member):
    member = make_member("BRANCH_A")
    appraisal_round = services.open_round(
        AppraisalRound(name="Round", year=2026, organization=tree["CITY"], publicity_days=5)
    )
    client = api_as("city_admin")
    response = post_json(client, "/api/v1/organizations/", {"code\x00": "X"})
    assert response.status_code == 400 and "non_field_errors" in response.json()
    url = "/api/v1/appraisal-rounds/{}/ratings/".format(appraisal_round.pk)
    response = post_json(client, url, [{"member": member.pk, "rating": "qualified", "reason": "\x00"}])
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Null characters are not allowed."]}


def test_nul_in_a_form_encoded_patch_is_a_field_error(api_as, tree):
    response = api_as("city_admin").patch(
        "/api/v1/organizations/BRANCH_A/", "name=a%00b", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert response.json() == {"name": ["Null characters are not allowed."]}
    assert Organization.objects.get(code="BRANCH_A").name == "Branch_A"


# --- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "3000-01-01"])
def test_dates_outside_the_domain_years_are_field_errors(api_as, tree, make_member, day):
    client = api_as("city_admin")
    response = client.patch("/api/v1/organizations/BRANCH_A/", {"term_started_on": day}, format="json")
    assert response.status_code == 400
    assert response.json() == {"term_started_on": ["Enter a date between 1900-01-01 and 2999-12-31."]}
    member = make_member("BRANCH_A")
    response = client.post("/api/v1/transfers/", {"member": member.pk, "to_organization": "BRANCH_B", "reason": "r", "issued_on": day}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["issued_on"]


def test_dates_at_the_bounds_are_accepted(api_as, tree):
    client = api_as("city_admin")
    for day in ("1900-01-01", "2999-12-31"):
        response = client.patch("/api/v1/organizations/BRANCH_A/", {"term_started_on": day}, format="json")
        assert response.status_code == 200, response.content


# --- the base serializer and the base form, without HTTP ------------------------------------------


class ExampleSerializer(Serializer):
    kind = serializers.ChoiceField(choices=["a", "b"])
    day = serializers.DateField()
    payload = serializers.JSONField(required=False)


def test_base_serializer_refuses_unstorable_text_in_any_field_and_far_dates():
    serializer = ExampleSerializer(data={"kind": "a", "day": "2024-01-01", "payload": {"x": ["\x00"]}})
    assert not serializer.is_valid()
    assert serializer.errors == {"payload": ["Null characters are not allowed."]}
    serializer = ExampleSerializer(data={"kind": "a", "day": "9999-12-31"})
    assert not serializer.is_valid()
    assert serializer.errors == {"day": ["Enter a date between 1900-01-01 and 2999-12-31."]}
    assert ExampleSerializer(data={"kind": "a", "day": "2024-01-01", "payload": {"x": "ok"}}).is_valid()


class ExampleForm(BootstrapFormMixin, forms.Form):
    organization = forms.ModelChoiceField(queryset=Organization.objects.all(), to_field_name="code")
    day = forms.DateField()

    def clean_organization(self):
        raise AssertionError("a refused value must not reach the field's own cleaning")


def test_base_form_refuses_unstorable_text_before_any_lookup(tree, django_assert_num_queries):
    for value in ("BRANCH_A\x00", "BRANCH_A\ud800"):
        form = ExampleForm(data={"organization": value, "day": "2024-01-01"})
        with django_assert_num_queries(0):
            assert not form.is_valid()
        assert list(form.errors) == ["organization"]
        assert form.cleaned_data == {"day": datetime.date(2024, 1, 1)}


def test_base_form_refuses_far_dates(tree):
    form = ExampleForm(data={"day": "9999-12-31"})
    assert not form.is_valid()
    assert form.errors["day"] == ["Enter a date between 1900-01-01 and 2999-12-31."]


# --- the middleware: posted page forms ------------------------------------------------------------


def test_nul_in_a_posted_page_form_is_a_400_before_the_view(client_as, tree):
    client = client_as("city_admin")
    response = client.post("/organizations/add/", "code=X&name=a%00b", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.content.decode() == "Null characters are not allowed."
    response = client.post("/organizations/add/", {"code": "X", "name": "a\x00b"})  # multipart
    assert response.status_code == 400
    assert not Organization.objects.filter(code="X").exists()


def test_a_form_body_cannot_carry_a_lone_surrogate(client_as, tree):
    # The bytes of U+D800 in UTF-8 are invalid: Django decodes them to U+FFFD, which is storable.
    response = client_as("city_admin").post(
        "/organizations/add/", "code=SUR&name=a%ED%A0%80b&kind=branch&sector=organ&parent=TOWN",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in (200, 302, 400)
    assert "\ud800" not in "".join(Organization.objects.values_list("name", flat=True))
