"""The member API: fields, filters, search, masking, exits, query counts, scope."""

import datetime

import pytest

from members.models import Member
from tests.conftest import valid_id_number

pytestmark = pytest.mark.django_db


def test_smoke(api_as, make_member):
    member = make_member("BRANCH_A")
    response = api_as("county_staff").get("/api/v1/members/")
    assert response.status_code == 200, response.content
    print(response.json())
    response = api_as("county_staff").get("/api/v1/members/{}/".format(member.pk))
    assert response.status_code == 200, response.content
