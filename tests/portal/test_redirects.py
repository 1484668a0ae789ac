"""The ``next`` of every form stays on the portal (security audit, issue 8 finding 9: open redirect)."""

import pytest
from django.test import RequestFactory

from appraisal import services
from appraisal.models import AppraisalRound
from portal.views.redirects import safe_next

pytestmark = pytest.mark.django_db

# Each of these leaves the portal when a browser follows it ("/\\host" is read as "//host").
FOREIGN = [
    "//evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example",
    "http://evil.example/appraisal/",
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "///evil.example",
    "http:///evil.example",
    "/\t/evil.example",
]


@pytest.mark.parametrize("target", FOREIGN)
def test_safe_next_refuses_targets_off_the_portal(target):
    request = RequestFactory().post("/somewhere/", {"next": target})
    assert safe_next(request, "/default/") == "/default/"


@pytest.mark.parametrize("target", ["/appraisal/7/?org=A#x", "http://testserver/appraisal/", "/"])
def test_safe_next_keeps_targets_on_the_portal(target):
    request = RequestFactory().post("/somewhere/", {"next": target})
    assert safe_next(request, "/default/") == target


def test_safe_next_reads_the_query_string_too_and_defaults_when_absent():
    factory = RequestFactory()
    assert safe_next(factory.get("/x/", {"next": "/members/"}), "/default/") == "/members/"
    assert safe_next(factory.get("/x/", {"next": "//evil.example/"}), "/default/") == "/default/"
    assert safe_next(factory.get("/x/"), "/default/") == "/default/"


def test_safe_next_does_not_downgrade_https_to_http():
    request = RequestFactory().post("/x/", {"next": "http://testserver/members/"}, secure=True)
    assert safe_next(request, "/default/") == "/default/"
    request = RequestFactory().post("/x/", {"next": "https://testserver/members/"}, secure=True)
    assert safe_next(request, "/default/") == "https://testserver/members/"


@pytest.fixture
def appraisal_round(tree):
    return services.open_round(AppraisalRound(name="2026", year=2026, organization=tree["CITY"], publicity_days=5))


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example", "https://evil.example", "javascript:alert(1)"])
def test_workflow_post_never_redirects_off_the_portal(client_as, appraisal_round, target):
    response = client_as("secretary_a").post(
        "/appraisal/{}/workflow/".format(appraisal_round.pk),
        {"action": "submit", "organization": "BRANCH_A", "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == "/appraisal/{}/".format(appraisal_round.pk)


def test_workflow_post_follows_a_next_on_the_portal(client_as, appraisal_round):
    target = "/appraisal/{}/entry/BRANCH_A/".format(appraisal_round.pk)
    response = client_as("secretary_a").post(
        "/appraisal/{}/workflow/".format(appraisal_round.pk), {"action": "submit", "organization": "BRANCH_A", "next": target}
    )
    assert response["Location"] == target


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example", "https://evil.example", "javascript:alert(1)"])
def test_rollup_start_never_redirects_off_the_portal(client_as, target):
    response = client_as("city_admin").post("/rollups/start/", {"next": target})
    assert response.status_code == 302
    assert response["Location"] == "/rollups/"


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example", "https://evil.example", "javascript:alert(1)"])
def test_login_never_redirects_off_the_portal(client, users, target):
    response = client.post("/login/?next=/members/", {"username": "county_staff", "password": "pw-county_staff", "next": target})
    assert response.status_code == 302
    assert "evil" not in response["Location"] and not response["Location"].lower().startswith("javascript")
    assert response["Location"].startswith("/")


def test_login_follows_a_next_on_the_portal(client, users):
    response = client.post("/login/", {"username": "county_staff", "password": "pw-county_staff", "next": "/appraisal/"})
    assert response["Location"] == "/appraisal/"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example"])
def test_logout_and_language_switch_never_redirect_off_the_portal(client_as, target):
    client = client_as("county_staff")
    response = client.post("/i18n/setlang/", {"language": "en", "next": target})
    assert "evil" not in response["Location"]
    response = client.post("/logout/", {"next": target})
    assert response.status_code == 302 and response["Location"] == "/login/"
