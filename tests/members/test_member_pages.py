"""Member pages: list with masking, detail with history, forms, exit, my branch, login landing."""

import datetime

import pytest

from members.models import Member

pytestmark = pytest.mark.django_db


def test_pages_render(client_as, make_member):
    member = make_member("BRANCH_A")
    client = client_as("secretary_a")
    for url in ("/members/", "/members/{}/".format(member.pk), "/members/{}/edit/".format(member.pk),
                "/members/add/", "/members/{}/exit/".format(member.pk), "/members/{}/transfer/".format(member.pk),
                "/census/BRANCH_A/", "/transfers/"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:2000])
