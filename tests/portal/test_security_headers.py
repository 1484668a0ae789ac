"""Hygiene of every answer (security audit, issue 8 finding 11): no caching of personal data, a
strict Content-Security-Policy, and sessions with an idle timeout and an absolute lifetime."""

import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from portal.security_headers import RENEW_AFTER, RENEWED_AT, SIGNED_IN_AT, NoStoreMiddleware
from tests.portal.test_settings_env import import_settings

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]


# --- Cache-Control -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/members/",
        "/organizations/tree/",
        "/appraisal/",
        "/members/export/?format=csv",
        "/api/v1/members/",
        "/api/v1/appraisal-rounds/",
        "/no-such-page/",
    ],
)
def test_answers_to_a_signed_in_user_are_not_stored(client_as, url):
    response = client_as("county_staff").get(url)
    assert response["Cache-Control"] == "no-store, private", url


def test_api_answers_to_a_token_are_not_stored(client, users):
    token = client.post("/api/v1/auth/token/", {"username": "county_staff", "password": "pw-county_staff"}).json()["token"]
    response = client.get("/api/v1/members/", HTTP_AUTHORIZATION="Token " + token)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"


def test_a_view_that_chose_its_own_cache_control_keeps_it():
    request = RequestFactory().get("/")
    request.user = type("Signed", (), {"is_authenticated": True})()

    def view(request):
        response = HttpResponse("x")
        response["Cache-Control"] = "max-age=5"
        return response

    assert NoStoreMiddleware(view)(request)["Cache-Control"] == "max-age=5"
    assert NoStoreMiddleware(lambda r: HttpResponse("x"))(request)["Cache-Control"] == "no-store, private"


def test_static_files_keep_their_own_cache_headers_for_a_signed_in_user(client_as):
    response = client_as("county_staff").get("/static/portal/portal.js")
    assert response.status_code == 200
    assert "no-store" not in response["Cache-Control"] and "max-age" in response["Cache-Control"]


def test_anonymous_answers_are_left_alone(client):
    # The login page marks itself never-cached (Django's own choice); an anonymous 404 says nothing.
    assert "no-store" not in client.get("/no-such-page/").get("Cache-Control", "")


# --- Content-Security-Policy ---------------------------------------------------------------------


def directives(response):
    return {part.split()[0]: part.split()[1:] for part in response["Content-Security-Policy"].split("; ")}


def test_pages_carry_a_strict_policy(client_as):
    policy = directives(client_as("county_staff").get("/"))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no nonce where no page asked for one
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in " ".join(sum(policy.values(), []))
    assert "'unsafe-eval'" not in " ".join(sum(policy.values(), []))


def test_the_api_docs_page_runs_its_setup_script_by_nonce_only(client_as):
    response = client_as("county_staff").get("/api/v1/docs/")
    assert response.status_code == 200
    nonce = re.search(r"'nonce-([^']+)'", " ".join(directives(response)["script-src"])).group(1)
    html = response.content.decode()
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline and all('nonce="{}"'.format(nonce) in attributes for attributes in inline)
    assert "<style" not in html
    # A nonce is for one answer only.
    again = client_as("county_staff").get("/api/v1/docs/")
    assert nonce not in again["Content-Security-Policy"]


TEMPLATE_DIRS = [BASE_DIR / app / "templates" for app in ("portal", "members", "appraisal")]
# What the policy blocks in a template: inline handlers, style attributes and elements, inline
# scripts (JSON data blocks are not run, and a script with the request's nonce is allowed), and
# javascript: URLs.
FORBIDDEN = [
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style", re.I), "style element"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    (re.compile(r"<script(?![^>]*\b(src=|nonce=|type=\"application/json\"))[^>]*>", re.I), "inline script"),
    (re.compile(r"\shx-on", re.I), "hx-on attribute (needs eval)"),
]


def test_no_template_needs_inline_code():
    found = []
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            text = path.read_text()
            for pattern, what in FORBIDDEN:
                for match in pattern.finditer(text):
                    found.append("{}: {} ({!r})".format(path.relative_to(BASE_DIR), what, match.group(0)))
    assert not found, "\n".join(found)


def test_rendered_pages_have_no_inline_code(client_as, city_round_for_pages):
    client = client_as("city_admin")
    for url in ["/", "/members/", "/organizations/tree/", "/appraisal/", city_round_for_pages, "/members/add/"]:
        html = client.get(url).content.decode()
        for pattern, what in FORBIDDEN:
            assert not pattern.search(html), "{}: {}".format(url, what)


@pytest.fixture
def city_round_for_pages(tree):
    from appraisal import services
    from appraisal.models import AppraisalRound

    appraisal_round = services.open_round(AppraisalRound(name="2026", year=2026, organization=tree["CITY"], publicity_days=5))
    return "/appraisal/{}/entry/BRANCH_A/".format(appraisal_round.pk)


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(client_as):
    html = client_as("county_staff").get("/").content.decode()
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false, "allowEval": false}\'>' in html


# --- Sessions ------------------------------------------------------------------------------------


def test_the_session_has_an_idle_timeout_of_an_hour_and_a_lifetime_of_twelve_by_default():
    assert settings.SESSION_COOKIE_AGE == 60 * 60
    assert settings.SESSION_MAX_AGE_SECONDS == 12 * 3600


def _session_expiry(client):
    from django.contrib.sessions.models import Session

    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_activity_renews_the_idle_timeout_at_most_once_a_minute(client, users):
    client.post("/login/", {"username": "county_staff", "password": "pw-county_staff"})
    signed_in_expiry = _session_expiry(client)
    # Right after the sign-in: nothing to renew, no session write, no cookie.
    response = client.get("/appraisal/")
    assert response.status_code == 200 and "sessionid" not in response.cookies
    assert _session_expiry(client) == signed_in_expiry
    # A minute later the next request renews: a fresh expiry in the database and the cookie.
    session = client.session
    session[RENEWED_AT] -= RENEW_AFTER
    session.save()
    before = _session_expiry(client)
    time.sleep(1)
    response = client.get("/appraisal/")
    assert response.cookies["sessionid"]["max-age"] == settings.SESSION_COOKIE_AGE
    assert _session_expiry(client) > before
    assert abs(client.session[RENEWED_AT] - time.time()) < 60


def _sign_in(client):
    response = client.post("/login/", {"username": "county_staff", "password": "pw-county_staff"})
    assert response.status_code == 302
    return client.session[SIGNED_IN_AT]


def _age_sign_in(client, seconds):
    session = client.session
    session[SIGNED_IN_AT] = int(time.time()) - seconds
    session.save()


def test_a_sign_in_ends_after_the_absolute_lifetime_however_active(client, users):
    signed_in_at = _sign_in(client)
    assert abs(signed_in_at - time.time()) < 60
    _age_sign_in(client, settings.SESSION_MAX_AGE_SECONDS - 60)
    assert client.get("/appraisal/").status_code == 200
    _age_sign_in(client, settings.SESSION_MAX_AGE_SECONDS + 1)
    response = client.get("/appraisal/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session
    assert client.get("/api/v1/appraisal-rounds/").status_code in (401, 403)


@override_settings(SESSION_MAX_AGE_SECONDS=3600)
def test_the_absolute_lifetime_follows_the_setting(client, users):
    _sign_in(client)
    _age_sign_in(client, 3601)
    assert client.get("/appraisal/").status_code == 302


def test_a_session_without_a_sign_in_time_is_stamped_on_its_next_request(client_as):
    client = client_as("county_staff")  # force_login: no login form, maybe no signal receiver yet
    session = client.session
    session.pop(SIGNED_IN_AT, None)
    session.save()
    assert client.get("/appraisal/").status_code == 200
    assert abs(client.session[SIGNED_IN_AT] - time.time()) < 60


def test_signing_in_again_restarts_the_absolute_lifetime(client, users):
    _sign_in(client)
    _age_sign_in(client, 3600)
    client.post("/logout/")
    assert abs(_sign_in(client) - time.time()) < 60


def test_token_login_creates_no_session_stamp(client, users):
    response = client.post("/api/v1/auth/token/", {"username": "county_staff", "password": "pw-county_staff"})
    assert response.status_code == 201
    assert SIGNED_IN_AT not in client.session


@pytest.mark.parametrize(
    "variable, value", [("SESSION_IDLE_MINUTES", "soon"), ("SESSION_IDLE_MINUTES", "0"), ("SESSION_MAX_HOURS", "0")]
)
def test_a_bad_session_setting_fails_at_start_naming_the_variable(variable, value):
    result = import_settings(**{variable: value})
    assert result.returncode != 0
    assert "Environment variable {}".format(variable) in result.stderr.strip().splitlines()[-1]


def test_session_settings_come_from_the_environment():
    result = import_settings(
        code="import portal.settings as s; print(s.SESSION_COOKIE_AGE, s.SESSION_MAX_AGE_SECONDS)",
        SESSION_IDLE_MINUTES="30",
        SESSION_MAX_HOURS="8",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(30 * 60), str(8 * 3600)]
