"""Deep pages of the member list (portal/paging.py): same rows as offset paging, constant queries.

The roster is ordered ``organization__path, name, id``; names repeat on purpose so that the ``id``
tie-break matters. ``next``/``previous`` links carry a signed keyset cursor; pages asked for by
number are offsets; the count is exact up to ``paging.EXACT_COUNT_LIMIT`` rows, the planner's
estimate beyond (``count_exact: false``).
"""

import base64
import re
from urllib.parse import unquote

import pytest
from django.db import connection

from members.models import Member
from portal import paging

API = "/api/v1/members/"
SIZE = 3


@pytest.fixture
def roster(make_member):
    # 17 members over four organizations, names repeating inside an organization.
    for index, org in enumerate(["BRANCH_B", "BRANCH_A", "GROUP_A1", "BRANCH_C"] * 4 + ["BRANCH_A"]):
        make_member(org, name="Name {}".format(index % 3))
    return list(Member.objects.order_by("organization__path", "name", "id").values_list("pk", flat=True))


def walk(client, url, rel):
    ids, pages = [], []
    while url:
        payload = client.get(url).json()
        pages.append(payload)
        ids.extend(row["id"] for row in payload["results"])
        url = payload[rel]
    return ids, pages


def test_request_connections_run_without_jit(db):
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_next_links_walk_every_member_once_in_order(api_as, roster):
    client = api_as("city_admin")
    ids, pages = walk(client, "{}?page_size={}".format(API, SIZE), "next")
    assert ids == roster
    assert len(pages) == 6 and all(page["count"] == 17 and page["count_exact"] for page in pages)
    # Links after the first carry a cursor beside the page number.
    assert "cursor=" in pages[0]["next"] and "page=2" in pages[0]["next"]


def test_previous_links_walk_back_from_the_last_page(api_as, roster):
    client = api_as("city_admin")
    ids, pages = walk(client, "{}?page_size={}&page=last".format(API, SIZE), "previous")
    assert [len(page["results"]) for page in pages] == [2, 3, 3, 3, 3, 3]
    backwards = [row["id"] for page in reversed(pages) for row in page["results"]]
    assert backwards == roster


@pytest.mark.parametrize("number", [1, 2, 3, 4, 5, 6])
def test_pages_by_number_are_the_slices_of_the_ordered_list(api_as, roster, number):
    # Pages past the middle are read from the end (the count is exact): same rows.
    payload = api_as("city_admin").get("{}?page_size={}&page={}".format(API, SIZE, number)).json()
    assert [row["id"] for row in payload["results"]] == roster[(number - 1) * SIZE : number * SIZE]
    assert (payload["next"] is None) == (number == 6)
    assert (payload["previous"] is None) == (number == 1)


def test_a_page_past_the_end_is_404(api_as, roster):
    assert api_as("city_admin").get("{}?page_size={}&page=7".format(API, SIZE)).status_code == 404


def test_a_cursor_for_another_page_or_forged_is_ignored(api_as, roster):
    client = api_as("city_admin")
    second = client.get("{}?page_size={}".format(API, SIZE)).json()["next"]
    cursor = re.search(r"cursor=([^&]+)", second).group(1)
    # Used on another page number it does not apply: page 4 by number.
    moved = client.get("{}?page_size={}&page=4&cursor={}".format(API, SIZE, cursor)).json()
    assert [row["id"] for row in moved["results"]] == roster[9:12]
    forged = client.get("{}?page_size={}&page=2&cursor={}x".format(API, SIZE, cursor)).json()
    assert [row["id"] for row in forged["results"]] == roster[3:6]


def test_a_cursor_names_a_row_id_only(api_as, roster):
    link = api_as("city_admin").get("{}?page_size={}".format(API, SIZE)).json()["next"]
    cursor = unquote(re.search(r"cursor=([^&]+)", link).group(1))
    payload = cursor.split(":")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    assert decoded == "[2,{},\"n\"]".format(roster[SIZE - 1])
    assert "Name" not in decoded


def test_scope_still_holds_on_a_cursor_page(api_as, roster, tree):
    client = api_as("county_staff")  # COUNTY's subtree: not BRANCH_C
    ids, _pages = walk(client, "{}?page_size={}".format(API, SIZE), "next")
    visible = [pk for pk in roster if Member.objects.get(pk=pk).organization.path.startswith(tree["COUNTY"].path)]
    assert ids == visible and len(ids) == 13


def test_query_count_is_the_same_for_every_page(api_as, roster, django_assert_num_queries):
    client = api_as("city_admin")
    third_link = client.get("{}?page_size={}&page=2".format(API, SIZE)).json()["next"]
    # The caller's scope was loaded by the first request (cached on the user): then 1 the bounded
    # count, 2 the page's rows, by number, from the end or by cursor alike.
    for url in (
        "{}?page_size={}".format(API, SIZE),
        "{}?page_size={}&page=5".format(API, SIZE),
        "{}?page_size={}&page=last".format(API, SIZE),
        third_link,
    ):
        with django_assert_num_queries(2):
            assert client.get(url).status_code == 200


def test_beyond_the_exact_limit_the_count_is_an_estimate(api_as, roster, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(paging, "EXACT_COUNT_LIMIT", 5)
    client = api_as("city_admin")
    # 1 scope, 2 the count up to the limit, 3 the planner's estimate, 4 the page; then (scope
    # cached on the user) the same three at any depth.
    with django_assert_num_queries(4):
        first = client.get("{}?page_size={}".format(API, SIZE)).json()
    assert first["count_exact"] is False and first["count"] >= 6
    with django_assert_num_queries(3):
        assert client.get("{}?page_size={}&page=2".format(API, SIZE)).status_code == 200
    # The links still walk every row exactly once, whatever the estimate says.
    ids, _pages = walk(client, "{}?page_size={}".format(API, SIZE), "next")
    assert ids == roster
    last = client.get("{}?page_size={}&page=last".format(API, SIZE)).json()
    assert [row["id"] for row in last["results"]] == roster[-SIZE:] and last["next"] is None


def test_the_pages_paginator_walks_by_cursor(roster):
    # The list pages use the same paginator (portal/views/generic.py) with pages of 50.
    paginator = paging.Paginator(Member.objects.order_by("organization__path", "name", "id"), SIZE)
    seen, page = [], paginator.page(1)
    while True:
        seen.extend(member.pk for member in page)
        if not page.has_next():
            break
        assert page.next_cursor
        page = paging.Paginator(Member.objects.all(), SIZE, cursor=page.next_cursor).page(page.next_page_number())
    assert seen == roster


def test_list_page_next_link(client_as, make_member):
    for index in range(55):
        make_member("BRANCH_A", name="Person {:02d}".format(index))
    client = client_as("city_admin")
    html = client.get("/members/").content.decode()
    link = re.search(r'href="\?([^"]*)">Next<', html).group(1).replace("&amp;", "&")
    assert "cursor=" in link and "page=2" in link
    second = client.get("/members/?" + link)
    assert second.status_code == 200
    assert "Person 54" in second.content.decode() and "Person 49" not in second.content.decode()
