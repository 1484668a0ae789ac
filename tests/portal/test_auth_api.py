"""API token login and logout (API.md "Auth")."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def login(username, password):
    return APIClient().post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")


def test_token_login_returns_201_with_expiry_and_stores_it_hashed(users):
    response = login("county_staff", "pw-county_staff")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"token", "expiry"}
    stored = AuthToken.objects.get(user=users["county_staff"])
    assert body["token"] not in (stored.digest, stored.token_key)  # only a digest is kept
    assert stored.expiry > timezone.now()


def test_token_authenticates_and_logout_revokes_it(users):
    token = login("county_staff", "pw-county_staff").json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + token)
    assert client.get("/api/v1/organizations/").status_code == 200
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert client.get("/api/v1/organizations/").status_code == 401


def test_expired_token_is_refused(users):
    token = login("county_staff", "pw-county_staff").json()["token"]
    AuthToken.objects.filter(user=users["county_staff"]).update(expiry=timezone.now() - timezone.timedelta(seconds=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + token)
    assert client.get("/api/v1/organizations/").status_code == 401


def test_wrong_password_is_400_and_repeated_failures_lock_the_account(users, settings):
    assert login("county_staff", "wrong").status_code == 400
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login("county_staff", "wrong")
    # Locked out now: even the right password is refused.
    assert login("county_staff", "pw-county_staff").status_code in (400, 403, 429)


def test_unauthenticated_api_call_is_401_with_scheme():
    response = APIClient().get("/api/v1/organizations/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_session_auth_enforces_csrf(users):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(users["city_admin"])
    response = client.post(
        "/api/v1/organizations/", {"code": "CSRF", "name": "x", "kind": "committee", "sector": "organ"}, format="json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_token_request_loads_token_user_and_scope_in_one_query(users, django_assert_num_queries):
    token = login("county_staff", "pw-county_staff").json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + token)
    # 1 token + user + role assignments, 2 count, 3 the page of organizations.
    with django_assert_num_queries(3):
        response = client.get("/api/v1/organizations/")
    assert response.status_code == 200
    assert {row["code"] for row in response.json()["results"]} == {"COUNTY", "TOWN", "BRANCH_A", "GROUP_A1", "BRANCH_B"}


def test_session_page_loads_the_scope_with_the_user(users, client):
    # As a real login through the form stores it (the lockout backend never authenticates).
    client.force_login(users["secretary_a"], backend="portal.backends.ScopedModelBackend")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/organizations/BRANCH_A/").status_code == 200
    role_queries = [q["sql"] for q in queries.captured_queries if "portal_roleassignment" in q["sql"]]
    # Only the user's own query reads role assignments (as an array beside the user's columns).
    assert len(role_queries) == 1 and "auth_user" in role_queries[0] and "ARRAY" in role_queries[0]
