"""The permission matrix: (role, method, URL) → expected status, written as data.

A test class lists its cases; ``tests/conftest.py`` turns each case into a test of its own (see
``pytest_generate_tests``), so a new endpoint or page joins the matrix by adding lines::

    class TestOrganizationMatrix(MatrixTests):
        model = Organization
        cases = [
            Case("GET", "/api/v1/organizations/{BRANCH_B}/", {"secretary_a": 404, "county_staff": 200}),
            ...
        ]

URLs are templates filled from ``world`` (the tree's codes by default; override ``world`` to add
object ids). Roles missing from a case's expectations are not tried. After every refused write
(status ≥ 400) the rows of ``model`` must be exactly as before: a refused request changes nothing.
Pages (``api=False``) are fetched with a logged-in Django test client; anonymous visitors of a page
are redirected to the login page (302).
"""

import json
from dataclasses import dataclass, field

import pytest

ALL_ROLES = ("city_admin", "county_staff", "secretary_a", "secretary_b", "reader", "anonymous")


@dataclass
class Case:
    """One request and the status each role must get."""

    method: str
    url: str
    expect: dict
    data: dict = field(default_factory=dict)
    api: bool = True

    def expanded(self):
        return [(role, status) for role, status in self.expect.items()]


def everyone(status, **overrides):
    """The same status for all six roles, with a few exceptions: ``everyone(403, city_admin=200)``."""
    return {role: overrides.get(role, status) for role in ALL_ROLES}


class MatrixTests:
    """Base of a permission-matrix test class; subclasses set ``model`` and ``cases``."""

    model = None
    cases = []

    @pytest.fixture
    def world(self, tree, users):
        """Values for the URL templates: the tree's codes; override to add objects."""
        return {code: code for code in tree}

    def _rows(self):
        if self.model is None:
            return None
        return list(self.model.objects.order_by("pk").values())

    def test_matrix(self, matrix_case, world, api_as, client_as):
        case, role, expected = matrix_case
        url = case.url.format(**world)
        data = {key: (value.format(**world) if isinstance(value, str) else value) for key, value in case.data.items()}
        before = self._rows() if case.method != "GET" else None
        if case.api:
            client = api_as(role)
            response = getattr(client, case.method.lower())(url, data=data, format="json")
        else:
            client = client_as(role)
            response = getattr(client, case.method.lower())(url, data=data)
        assert response.status_code == expected, "{} {} as {}: {} (expected {}): {}".format(
            case.method, url, role, response.status_code, expected, _body(response)
        )
        if case.method != "GET" and expected >= 400:
            assert self._rows() == before, "a refused {} {} as {} changed {}".format(case.method, url, role, self.model)
        if not case.api and role == "anonymous" and expected == 302:
            assert "/login/" in response["Location"]


def _body(response):
    try:
        return json.dumps(response.json(), ensure_ascii=False)[:300]
    except Exception:
        return getattr(response, "content", b"")[:300]


def collect_pages(client, url, key):
    """Every ``key`` of every row of a paginated API list (follows ``next``)."""
    values = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        payload = response.json()
        values.extend(row[key] for row in payload["results"])
        url = payload["next"]
    return values
