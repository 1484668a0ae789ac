"""Logins with user names no account can have, and logging out of a browser session through the
API (security audit, issue 8: finding 3 and part of finding 11)."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth import authenticate
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory
from knox.models import AuthToken
from rest_framework.test import APIClient

from portal.lockout import lockout_username
from tests import hostile

pytestmark = pytest.mark.django_db


def test_login_page_refuses_an_overlong_user_name_with_a_form_error(users):
    response = Client().post("/login/", {"username": hostile.LONG_USERNAME, "password": "x"})
    assert response.status_code == 200
    assert "at most 150 characters" in " ".join(response.context["form"].errors["username"])
    # Refused before authenticating: nothing reached the lock-out bookkeeping.
    assert not AccessAttempt.objects.exists()


def test_token_endpoint_refuses_an_overlong_user_name_with_a_field_error(users):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": hostile.LONG_USERNAME, "password": "x"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"username"}
    assert not AccessAttempt.objects.exists()


def test_any_caller_of_authenticate_gets_its_failure_counted_under_a_storable_name(users):
    # A login path without the form's checks (a future one): axes records the attempt, cut to its column.
    request = RequestFactory().post("/elsewhere/")
    assert authenticate(request=request, username=hostile.LONG_USERNAME, password="x") is None
    assert AccessAttempt.objects.get().username == hostile.LONG_USERNAME[:255]


@pytest.mark.parametrize("username", ["a\x00b", "a\ud800b", hostile.LONG_USERNAME])
def test_the_lockout_user_name_is_always_storable(username):
    recorded = lockout_username(RequestFactory().post("/"), {"username": username})
    assert len(recorded) <= 255 and "\x00" not in recorded
    recorded.encode("utf-8")


def test_a_long_user_name_still_locks_out_after_the_failure_limit(users, settings):
    client = APIClient()
    request = RequestFactory().post("/elsewhere/")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        authenticate(request=request, username=hostile.LONG_USERNAME, password="x")
    attempt = AccessAttempt.objects.get()
    assert attempt.failures_since_start == settings.AXES_FAILURE_LIMIT
    # The real accounts are untouched.
    assert client.post("/api/v1/auth/token/", {"username": "county_staff", "password": "pw-county_staff"}).status_code == 201


def test_api_logout_with_a_session_ends_the_session(users):
    client = Client()
    assert client.post("/login/", {"username": "county_staff", "password": "pw-county_staff"}).status_code == 302
    session_key = client.session.session_key
    assert client.get("/api/v1/organizations/").status_code == 200

    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert not Session.objects.filter(session_key=session_key).exists()
    assert client.get("/api/v1/organizations/").status_code in (401, 403)
    # The old cookie, replayed, is worth nothing either.
    replay = Client()
    replay.cookies[django_settings.SESSION_COOKIE_NAME] = session_key
    assert replay.get("/api/v1/organizations/").status_code in (401, 403)


def test_api_logout_with_a_token_revokes_only_that_token(users):
    tokens = [
        APIClient().post("/api/v1/auth/token/", {"username": "county_staff", "password": "pw-county_staff"}).json()["token"]
        for _ in range(2)
    ]
    first, second = APIClient(), APIClient()
    first.credentials(HTTP_AUTHORIZATION="Token " + tokens[0])
    second.credentials(HTTP_AUTHORIZATION="Token " + tokens[1])
    assert first.post("/api/v1/auth/logout/").status_code == 204
    assert first.get("/api/v1/organizations/").status_code == 401
    assert second.get("/api/v1/organizations/").status_code == 200
    assert AuthToken.objects.filter(user=users["county_staff"]).count() == 1
