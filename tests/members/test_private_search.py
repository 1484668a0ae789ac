"""A member search never puts its text (a phone, ID digits) in a URL."""

import pytest

pytestmark = pytest.mark.django_db


def test_search_is_posted_and_the_url_carries_only_a_token(client_as, make_member):
    member = make_member("BRANCH_A", phone="13912345678")
    make_member("BRANCH_A", phone="13700000000")
    client = client_as("secretary_a")
    page = client.get("/members/").content.decode()
    assert 'method="post"' in page
    response = client.post("/members/", {"q": "13912345678", "status": "formal"})
    assert response.status_code == 302
    location = response["Location"]
    assert "13912345678" not in location and "search=" in location and "status=formal" in location
    listing = client.get(location)
    assert listing.status_code == 200
    rows = list(listing.context["object_list"])
    assert [row.pk for row in rows] == [member.pk]
    # The export link of this list exports the same rows, from the same token.
    export = client.get("/members/export/?format=csv&" + location.split("?", 1)[1])
    assert export.status_code == 200
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert body.count("\n") == 2  # header and the one member


def test_a_token_of_another_session_finds_nothing_special(client_as, make_member):
    make_member("BRANCH_A", phone="13912345678")
    make_member("BRANCH_A", phone="13700000000")
    location = client_as("secretary_a").post("/members/", {"q": "13912345678"})["Location"]
    other = client_as("county_staff").get(location)
    # Unknown token: the search is simply not applied (no error, nothing leaked).
    assert other.status_code == 200 and len(other.context["object_list"]) == 2


def test_lists_without_private_search_refuse_post(client_as):
    assert client_as("city_admin").post("/organizations/", {"q": "x"}).status_code == 405
