"""No dead ends (issue 13): a page never links a user to a page their role cannot open.

Each test opens a page as one role and follows every link on it (same site, GET) with the same
login; none may answer 403 or 404. Ancestors outside the role's scope are shown as plain text.
"""

import datetime
import re
from html import unescape
from urllib.parse import urlsplit

import pytest

from tests.portal.test_rollups import run_now

LINK = re.compile(r'<a\b[^>]*\bhref="([^"]+)"')
# Links that leave the portal's pages or are not pages: the language form, static files, anchors.
NOT_PAGES = ("#", "mailto:", "javascript:", "/static/", "/i18n/", "/logout/", "/api/")


def links(response):
    """The same-site page links of a response, in order, without repeats."""
    seen = []
    for href in LINK.findall(response.content.decode()):
        href = unescape(href)
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or href.startswith(NOT_PAGES) or not href.startswith("/"):
            continue
        if href not in seen:
            seen.append(href)
    return seen


def dead_ends(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    found = links(response)
    assert found, "no link on {}".format(url)
    return [(href, code) for href in found if (code := client.get(href).status_code) in (403, 404)]


@pytest.fixture
def populated(tree, make_member):
    """Members in the county and outside it, one branch past its term, so the figures have values."""
    for code in ("BRANCH_A", "BRANCH_A", "GROUP_A1", "BRANCH_B", "BRANCH_C"):
        make_member(code)
    make_member("BRANCH_A", status="probationary", full_member_on=None, joined_on=datetime.date(2026, 1, 1))
    run_now()
    return tree


def test_the_statistics_readers_dashboard_has_no_dead_end(populated, client_as):
    client = client_as("reader")
    assert dead_ends(client, "/") == [], dead_ends(client, "/")


@pytest.mark.parametrize("code", ["BRANCH_A", "GROUP_A1"])
def test_a_secretarys_breadcrumbs_and_parent_links_all_open(populated, client_as, code):
    client = client_as("secretary_a")
    assert dead_ends(client, "/organizations/{}/".format(code)) == []


def test_ancestors_outside_scope_are_plain_text(populated, client_as):
    page = client_as("secretary_a").get("/organizations/BRANCH_A/").content.decode()
    breadcrumb = page[page.index('class="breadcrumb'):page.index("</ol>")]
    assert "Town" in breadcrumb and "County" in breadcrumb, breadcrumb
    assert 'href="/organizations/TOWN/"' not in page
    assert 'href="/organizations/COUNTY/"' not in page
    # The county's staff still get every ancestor inside their scope as a link.
    page = client_as("county_staff").get("/organizations/BRANCH_A/").content.decode()
    assert 'href="/organizations/TOWN/"' in page and 'href="/organizations/COUNTY/"' in page
    assert 'href="/organizations/CITY/"' not in page


@pytest.mark.parametrize("role", ["county_staff", "secretary_a", "city_admin"])
def test_other_roles_dashboards_have_no_dead_end(populated, client_as, role):
    assert dead_ends(client_as(role), "/") == []


def test_a_secretarys_member_page_has_no_dead_end(populated, client_as, make_member):
    member = make_member("GROUP_A1", name="In a group")
    assert dead_ends(client_as("secretary_a"), "/members/{}/".format(member.pk)) == []
