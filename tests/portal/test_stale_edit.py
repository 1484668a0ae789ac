"""Edit pages never save a stale form over someone else's change (the generic edit view)."""

import re

import pytest
from django.utils import translation

from members.models import Member, Organization

pytestmark = pytest.mark.django_db

VERSION = re.compile(r'name="record_version" value="([^"]+)"')


def version_in(response):
    match = VERSION.search(response.content.decode())
    assert match, "the edit form carries no record_version field"
    return match.group(1)


def form_data(response, **changes):
    """What a browser would post back from the rendered form, with ``changes`` typed in."""
    data = {}
    for field in response.context["form"]:
        value = field.value()
        if value is None or value is False:
            continue
        if value is True:
            value = "on"
        elif isinstance(value, (list, tuple)):
            value = [str(item) for item in value]
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        data[field.html_name] = value if isinstance(value, list) else str(value)
    data.update(changes)
    return data


def test_a_stale_form_is_refused_with_the_current_values_and_nothing_is_saved(client_as):
    client = client_as("county_staff")
    opened = client.get("/organizations/TOWN/edit/")
    version = version_in(opened)
    # Someone else saves in between.
    town = Organization.objects.get(code="TOWN")
    town.name = "Changed meanwhile"
    town.save()
    response = client.post("/organizations/TOWN/edit/", form_data(opened, name="My late change"))
    assert response.status_code == 409
    content = response.content.decode()
    assert "Someone else changed this record since you opened it" in content
    assert 'value="Changed meanwhile"' in content  # the form shows what is stored now
    assert "My late change" not in content
    assert Organization.objects.get(code="TOWN").name == "Changed meanwhile"
    # The re-rendered form carries the current version: saving it again is a conscious overwrite.
    new_version = version_in(response)
    assert new_version != version
    response = client.post("/organizations/TOWN/edit/", form_data(response, name="My late change"))
    assert response.status_code == 302
    assert Organization.objects.get(code="TOWN").name == "My late change"


def test_a_current_form_saves_and_a_form_without_version_saves_as_before(client_as):
    client = client_as("county_staff")
    opened = client.get("/organizations/TOWN/edit/")
    assert client.post("/organizations/TOWN/edit/", form_data(opened, name="Fresh")).status_code == 302
    assert Organization.objects.get(code="TOWN").name == "Fresh"
    without_version = form_data(opened, name="No version")
    del without_version["record_version"]
    assert client.post("/organizations/TOWN/edit/", without_version).status_code == 302
    assert Organization.objects.get(code="TOWN").name == "No version"


def test_a_change_that_skips_updated_at_still_makes_the_form_stale(client_as, make_member):
    member = make_member("BRANCH_A", name="Wang")
    client = client_as("secretary_a")
    url = "/members/{}/edit/".format(member.pk)
    opened = client.get(url)
    Member.objects.filter(pk=member.pk).update(name="Renamed by a bulk step")
    data = form_data(opened, name="Mine")
    response = client.post(url, data)
    assert response.status_code == 409
    assert Member.objects.get(pk=member.pk).name == "Renamed by a bulk step"


def test_new_records_have_no_version_field(client_as):
    response = client_as("county_staff").get("/organizations/add/")
    assert response.status_code == 200
    assert "record_version" not in response.content.decode()


def test_the_stale_message_is_translated(client_as):
    """The stale-form message is in the Chinese catalogue."""
    client = client_as("county_staff")
    opened = client.get("/organizations/TOWN/edit/")
    Organization.objects.filter(code="TOWN").update(name="Meanwhile")
    with translation.override("zh-hans"):
        response = client.post("/organizations/TOWN/edit/", form_data(opened, name="Late"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 409
    assert "有人修改了这条记录" in response.content.decode()
