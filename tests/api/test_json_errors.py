"""Every error under /api/ is JSON with its reason in the request's language (API.md "Errors").

Pages keep their HTML error pages; the API client gets ``{"detail": "..."}`` (or the field errors of
a 400) for every status, including those answered outside any API view: an unknown URL, the login
lock-out, an overlong URL, a body too large, a server error.
"""

import json

import pytest
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from portal.api.errors import MAX_URL_LENGTH

pytestmark = pytest.mark.django_db


def assert_json_error(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert isinstance(body.get("detail"), str) and body["detail"], body
    return body["detail"]


@pytest.fixture
def staff_client(users):
    client = Client(raise_request_exception=False)
    token = AuthToken.objects.create(users["county_staff"])[1]
    client.defaults["HTTP_AUTHORIZATION"] = "Token " + token
    return client


@pytest.mark.parametrize("url", ["/api/v1/no-such-thing/", "/api/v1/organizations/CITY/nothing/", "/api/v2/"])
def test_unknown_api_url_is_a_json_404(url, staff_client):
    assert assert_json_error(staff_client.get(url), 404) == "Not found."


def test_unknown_page_is_still_an_html_404(client_as):
    response = client_as("county_staff").get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_404_in_the_request_language(staff_client):
    detail = assert_json_error(staff_client.get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE="zh-hans"), 404)
    assert detail == "未找到。"


def test_405_is_json(staff_client):
    assert_json_error(staff_client.delete("/api/v1/stats/organizations/?org=COUNTY"), 405)


def test_401_and_403_are_json(users):
    assert_json_error(Client().get("/api/v1/organizations/"), 401)
    reader = Client()
    reader.defaults["HTTP_AUTHORIZATION"] = "Token " + AuthToken.objects.create(users["reader"])[1]
    assert_json_error(reader.post("/api/v1/stats/rollups/"), 403)


def test_400_keeps_the_field_errors(staff_client):
    response = staff_client.post("/api/v1/organizations/", {}, content_type="application/json")
    assert response.status_code == 400
    assert isinstance(response.json()["code"], list)


def test_lockout_on_token_login_is_json_429(users, settings):
    client = APIClient()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post("/api/v1/auth/token/", {"username": "county_staff", "password": "wrong"}, format="json")
    response = client.post(
        "/api/v1/auth/token/", {"username": "county_staff", "password": "pw-county_staff"}, format="json"
    )
    detail = assert_json_error(response, 429)
    assert "blocked" in detail
    assert int(response["Retry-After"]) == 3600


def test_lockout_of_the_login_page_is_still_the_page(users, settings, client):
    for _attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        response = client.post("/login/", {"username": "county_staff", "password": "wrong"})
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    assert b'id="locked-out"' in response.content


def test_overlong_url_is_a_json_414(staff_client):
    query = "q=" + "x" * MAX_URL_LENGTH
    detail = assert_json_error(staff_client.get("/api/v1/members/?" + query), 414)
    assert str(MAX_URL_LENGTH) in detail


def test_url_at_the_limit_is_served(staff_client):
    path = "/api/v1/organizations/"
    query = "q=" + "x" * (MAX_URL_LENGTH - len(path) - 2)
    assert staff_client.get(path + "?" + query).status_code == 200


def test_overlong_page_url_is_a_plain_414(client_as):
    response = client_as("county_staff").get("/organizations/?q=" + "x" * MAX_URL_LENGTH)
    assert response.status_code == 414
    assert response["Content-Type"].startswith("text/plain")


def test_body_too_large_is_a_json_413(staff_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"code": "NEW", "name": "x" * 2000, "kind": "branch", "sector": "organ", "parent": "COUNTY"})
    assert_json_error(staff_client.post("/api/v1/organizations/", body, content_type="application/json"), 413)


def test_form_body_too_large_is_a_json_413(staff_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = "name=" + "x" * 2000
    response = staff_client.post("/api/v1/organizations/", body, content_type="application/x-www-form-urlencoded")
    assert_json_error(response, 413)


def test_server_error_is_a_json_500(staff_client, monkeypatch):
    from members.api import stats

    def fail(self, request, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(stats.OrganizationStatisticsView, "get", fail)
    detail = assert_json_error(staff_client.get("/api/v1/stats/organizations/?org=COUNTY"), 500)
    assert "boom" not in detail


def test_server_error_of_a_page_is_the_plain_500_page(client_as, monkeypatch):
    from portal.views import dashboard

    def fail(self, request, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(dashboard.DashboardView, "get", fail)
    client = client_as("county_staff")
    client.raise_request_exception = False
    response = client.get("/")
    assert response.status_code == 500
    assert b"Something went wrong" in response.content and b"<link" not in response.content


def test_messages_follow_the_request_language(staff_client):
    detail = assert_json_error(
        staff_client.get("/api/v1/members/?q=" + "x" * MAX_URL_LENGTH, HTTP_ACCEPT_LANGUAGE="zh-hans"), 414
    )
    assert "网址过长" in detail and "too long" not in detail


def test_every_operation_documents_its_json_errors(api_as):
    import yaml

    document = yaml.safe_load(api_as("anonymous").get("/api/v1/schema/").content)
    components = document["components"]["responses"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            expected = {"400", "401", "403", "404", "405", "406", "414", "500"}
            if method in {"post", "put", "patch"}:
                expected |= {"413", "415"}
            responses = operation["responses"]
            assert expected <= set(responses), (method, path, expected - set(responses))
            for status, response in responses.items():
                if status >= "400":
                    if "$ref" in response:
                        response = components[response["$ref"].rsplit("/", 1)[1]]
                    assert "application/json" in response.get("content", {}), (method, path, status)
            assert "security" in operation, (method, path)
