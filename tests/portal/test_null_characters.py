"""NUL characters are refused as bad input (PostgreSQL cannot hold them), never a server error."""

import pytest

pytestmark = pytest.mark.django_db


def test_query_string_with_nul_is_400(api_as, client_as):
    assert api_as("city_admin").get("/api/v1/organizations/?within=%00").status_code == 400
    assert api_as("city_admin").get("/api/v1/organizations/?q=a%00b").status_code == 400
    assert client_as("city_admin").get("/organizations/?q=%00").status_code == 400


def test_reference_with_nul_is_a_field_error(api_as):
    response = api_as("city_admin").post(
        "/api/v1/organizations/", {"code": "N", "name": "n", "kind": "branch", "sector": "organ", "parent": "\x00"},
        format="json",
    )
    assert response.status_code == 400
    assert "parent" in response.json()
