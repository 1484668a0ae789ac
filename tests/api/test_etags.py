"""Concurrent edits through the API: ETag on detail answers, 412 on a stale If-Match (API.md
"Errors"), 304 on If-None-Match, and no lost update when two clients write the same version."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from members.models import Member, Organization

pytestmark = pytest.mark.django_db

TOWN = "/api/v1/organizations/TOWN/"


def etag_of(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response["ETag"]


def test_detail_answers_carry_a_strong_etag_that_changes_with_the_record(api_as):
    client = api_as("county_staff")
    first = etag_of(client, TOWN)
    assert first.startswith('"') and first.endswith('"')
    assert etag_of(client, TOWN) == first  # reading does not change it
    response = client.patch(TOWN, {"name": "Town renamed"}, format="json", HTTP_IF_MATCH=first)
    assert response.status_code == 200
    assert response["ETag"] != first
    # The ETag of the write's answer is the one the next read shows.
    assert etag_of(client, TOWN) == response["ETag"]


def test_a_change_by_another_path_makes_the_etag_stale(api_as):
    client = api_as("county_staff")
    before = etag_of(client, TOWN)
    Organization.objects.filter(code="TOWN").update(name="Changed by an import")  # updated_at untouched
    assert etag_of(client, TOWN) != before


def test_stale_if_match_is_412_and_changes_nothing(api_as):
    client = api_as("county_staff")
    stale = etag_of(client, TOWN)
    current = client.patch(TOWN, {"name": "First writer"}, format="json")["ETag"]  # no If-Match: as before
    response = client.patch(TOWN, {"name": "Second writer"}, format="json", HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    assert set(response.json()) == {"detail"}
    assert response["ETag"] == current
    assert Organization.objects.get(code="TOWN").name == "First writer"
    # Retrying with the current ETag goes through.
    response = client.patch(TOWN, {"name": "Second writer"}, format="json", HTTP_IF_MATCH=response["ETag"])
    assert response.status_code == 200
    assert Organization.objects.get(code="TOWN").name == "Second writer"


def test_put_and_delete_check_if_match_too(api_as, tree):
    client = api_as("county_staff")
    Organization.objects.create(code="LEAF", name="Leaf", kind="branch", sector="organ", parent=tree["TOWN"])
    url = "/api/v1/organizations/LEAF/"
    stale = etag_of(client, url)
    body = client.get(url).json()
    client.patch(url, {"name": "Leaf 2"}, format="json")
    body["name"] = "Leaf 3"
    assert client.put(url, body, format="json", HTTP_IF_MATCH=stale).status_code == 412
    assert client.delete(url, HTTP_IF_MATCH=stale).status_code == 412
    assert Organization.objects.get(code="LEAF").name == "Leaf 2"
    assert client.delete(url, HTTP_IF_MATCH=etag_of(client, url)).status_code == 204
    assert not Organization.objects.filter(code="LEAF").exists()


@pytest.mark.parametrize(
    "header, status",
    [("*", 200), ('W/"{current}"', 412), ('"nope", "{current}"', 200), ("not-a-tag", 412), ("", 412)],
)
def test_if_match_forms(api_as, header, status):
    client = api_as("county_staff")
    current = etag_of(client, TOWN).strip('"')
    response = client.patch(TOWN, {"name": "X"}, format="json", HTTP_IF_MATCH=header.format(current=current))
    assert response.status_code == status


def test_if_none_match_answers_304_while_current(api_as):
    client = api_as("county_staff")
    current = etag_of(client, TOWN)
    response = client.get(TOWN, HTTP_IF_NONE_MATCH=current)
    assert response.status_code == 304 and response["ETag"] == current and not response.content
    assert client.get(TOWN, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_scope_comes_before_the_precondition(api_as):
    # Out of scope stays 404 and visible-but-not-writable stays 403, whatever If-Match says.
    assert api_as("secretary_a").patch(
        "/api/v1/organizations/COUNTY2/", {"name": "X"}, format="json", HTTP_IF_MATCH='"stale"'
    ).status_code == 404
    assert api_as("secretary_a").patch(
        "/api/v1/organizations/BRANCH_A/", {"name": "X"}, format="json", HTTP_IF_MATCH='"stale"'
    ).status_code == 403


def test_member_etag_is_the_same_for_masked_and_full_readers_and_survives_a_write(api_as, make_member):
    member = make_member("BRANCH_A", categories=["rural", "mobile"])
    url = "/api/v1/members/{}/".format(member.pk)
    staff = api_as("county_staff")
    current = etag_of(staff, url)
    response = staff.patch(url, {"categories": ["mobile", "rural"], "phone": "13700001111"}, format="json", HTTP_IF_MATCH=current)
    assert response.status_code == 200, response.content
    assert etag_of(staff, url) == response["ETag"]
    assert etag_of(api_as("secretary_a"), url) == response["ETag"]


def test_schema_documents_etag_if_match_and_412(api_as):
    schema = api_as("city_admin").get("/api/v1/schema/?format=json").json()
    detail = schema["paths"]["/api/v1/organizations/{code}/"]
    for method in ("patch", "put", "delete"):
        assert "412" in detail[method]["responses"], method
        assert "If-Match" in {p["name"] for p in detail[method]["parameters"]}, method
    assert "ETag" in detail["get"]["responses"]["200"]["headers"]
    assert "ETag" in detail["patch"]["responses"]["200"]["headers"]
    assert "304" in detail["get"]["responses"]
    assert "412" not in schema["paths"]["/api/v1/organizations/"]["post"]["responses"]


@pytest.mark.django_db(transaction=True)
def test_two_writers_with_the_same_etag_lose_no_update(users):
    """Two clients read the same ETag and PATCH with it at the same moment, each on its own
    connection: exactly one wins, the other gets 412, and the record holds the winner's change."""
    reader = APIClient()
    reader.force_authenticate(users["county_staff"])
    etag = etag_of(reader, TOWN)
    barrier = threading.Barrier(2)
    results = {}

    def write(name):
        client = APIClient()
        client.force_authenticate(users["county_staff"])
        try:
            barrier.wait(timeout=10)
            response = client.patch(TOWN, {"name": name}, format="json", HTTP_IF_MATCH=etag)
            results[name] = response.status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(name,)) for name in ("Writer one", "Writer two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results.values()) == [200, 412], results
    winner = next(name for name, status in results.items() if status == 200)
    assert Organization.objects.get(code="TOWN").name == winner


def test_member_writes_without_if_match_behave_as_before(api_as, make_member):
    member = make_member("BRANCH_A")
    response = api_as("secretary_a").patch("/api/v1/members/{}/".format(member.pk), {"name": "Renamed"}, format="json")
    assert response.status_code == 200
    assert Member.objects.get(pk=member.pk).name == "Renamed"
