"""The census and data-quality page: counts per subtree in a constant number of queries, each
linking to the list filtered the same way."""

import datetime
import re

import pytest

from members.models import Member, Organization

pytestmark = pytest.mark.django_db

LONG_AGO = datetime.date.today() - datetime.timedelta(days=400)


@pytest.fixture
def census_roster(make_member):
    make_member("BRANCH_A", phone=None)  # missing phone
    make_member("BRANCH_A", phone="")  # missing phone
    make_member("GROUP_A1", is_pocket=True)
    lost = make_member("BRANCH_A", activity_status="lost_contact")  # since today: not yet flagged
    long_lost = make_member("BRANCH_B", activity_status="lost_contact")
    Member.objects.filter(pk=long_lost.pk).update(activity_status_since=LONG_AGO)
    make_member("BRANCH_B", status="probationary", full_member_on=None, joined_on=LONG_AGO)  # overdue decision
    make_member("BRANCH_B", status="probationary", full_member_on=None, joined_on=datetime.date.today() - datetime.timedelta(days=30))
    make_member("BRANCH_C", phone=None)  # another county
    legacy = make_member("BRANCH_A")
    Member.objects.filter(pk=legacy.pk).update(id_number="")  # an old paper record without the number
    left = make_member("BRANCH_A", phone=None)
    left.record_exit("death")  # left members are not counted
    return {"lost": lost}


def counts_on_page(content):
    """{label: count} from the census table."""
    rows = re.findall(r"<tr><td>(.*?)</td><td class=\"text-end\"><a href=\"(.*?)\"[^>]*>(\d+)</a>", content)
    return {label: (int(count), url.replace("&amp;", "&")) for label, url, count in rows}


def test_census_counts_for_the_county(client_as, census_roster, django_assert_max_num_queries):
    client = client_as("county_staff")
    response = client.get("/census/COUNTY/")
    assert response.status_code == 200
    counts = counts_on_page(response.content.decode())
    assert counts["Missing phone"][0] == 2
    assert counts["Missing ID number"][0] == 1
    assert counts["Lost contact for over 6 months"][0] == 1
    assert counts["Pocket members"][0] == 1
    assert counts["Probationary for over a year without a decision"][0] == 1
    # BRANCH_A's term (2018 + 3 years) is over; COUNTY has no term recorded.
    assert counts["Organizations past their term of office"][0] == 1
    # Each count links to a list that shows exactly that many.
    for label, (count, url) in counts.items():
        page = client.get(url)
        assert page.status_code == 200, url
        assert "{} result".format(count) in page.content.decode(), (label, url)


def test_census_is_a_constant_number_of_queries(client_as, census_roster, make_member, django_assert_num_queries):
    client = client_as("county_staff")
    client.get("/census/COUNTY/")  # warm the session
    # 1 session, 2 user with their role assignments (scope), 3 the organization, 4 one
    # conditional aggregate over the subtree's members, 5 the same grouped by direct child,
    # 6 those children, 7 organizations past their term.
    with django_assert_num_queries(7):
        client.get("/census/COUNTY/")
    for index in range(30):
        make_member("BRANCH_B", phone=None)
    with django_assert_num_queries(7):
        response = client.get("/census/COUNTY/")
    assert counts_on_page(response.content.decode())["Missing phone"][0] == 32


def test_census_scope(client_as, census_roster):
    assert client_as("secretary_a").get("/census/BRANCH_B/").status_code == 404
    assert client_as("secretary_a").get("/census/COUNTY/").status_code == 404
    assert client_as("reader").get("/census/COUNTY/").status_code == 403
    counts = counts_on_page(client_as("secretary_a").get("/census/BRANCH_A/").content.decode())
    assert counts["Missing phone"][0] == 2 and counts["Pocket members"][0] == 1
    # Without a code each user starts at the top of their scope.
    assert client_as("secretary_a").get("/census/")["Location"] == "/census/BRANCH_A/"
    assert client_as("city_admin").get("/census/")["Location"] == "/census/CITY/"


def test_census_breaks_down_by_direct_child(client_as, census_roster):
    content = client_as("county_staff").get("/census/TOWN/").content.decode()
    assert 'href="/census/BRANCH_A/"' in content and 'href="/census/BRANCH_B/"' in content
    # BRANCH_A's row counts its party group too.
    content = client_as("secretary_a").get("/census/BRANCH_A/").content.decode()
    assert "Branch_A (directly)" in content and 'href="/census/GROUP_A1/"' in content
