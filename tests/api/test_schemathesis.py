"""Property-based API testing from the OpenAPI document (schemathesis).

Every operation of the schema is called with generated input as a county staff member and as a
statistics reader: schemathesis's coverage phase (boundary values of every parameter, path
parameters included, and values that break the schema: non-numeric ids, huge numbers, empty and
non-ASCII strings) and its fuzzing phase (random valid and invalid input). Whatever the input,
the API must never answer with a server error, must answer only statuses the document lists for
the operation, and every answer must match the schema documented for its status.

``test_hostile_path_parameters`` adds, for every path with a parameter, the identifiers a URL can
carry but the schema does not describe (non-numeric, non-ASCII, huge, encoded slashes), for every
method, and ``test_enough_cases_were_generated`` keeps the run at 2,000 cases or more.
"""

import collections
import re

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

# Generating the schema touches no database, so it can be loaded while the module is collected.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", WSGIHandler())
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
ROLES = {"staff": "county_staff", "reader": "reader"}
# Per operation and role, on top of the coverage phase's cases (~45 operations x 2 roles).
FUZZED_EXAMPLES = 12
MINIMUM_CASES = 2000

generated = collections.Counter()
operations_called = collections.defaultdict(set)


@pytest.fixture
def keep_connection():
    # As Django's test client does: keep the test's database connection (and its transaction)
    # open across requests instead of closing it at the end of each one.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(users):
    return {role: AuthToken.objects.create(users[username])[1] for role, username in ROLES.items()}


def call_and_check(case, token, role):
    generated[role] += 1
    operations_called[role].add(case.operation.label)
    response = case.call(headers={"Authorization": "Token " + token})
    case.validate_response(response, checks=CHECKS)


FUZZ_SETTINGS = settings(
    max_examples=FUZZED_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


@schema.parametrize()
@FUZZ_SETTINGS
@pytest.mark.django_db
def test_api_as_staff(case, tokens, keep_connection):
    call_and_check(case, tokens["staff"], "staff")


@schema.parametrize()
@FUZZ_SETTINGS
@pytest.mark.django_db
def test_api_as_reader(case, tokens, keep_connection):
    call_and_check(case, tokens["reader"], "reader")


def _templated_paths():
    """Every (method, path template) of the document whose path carries a parameter."""
    for path, operations in schema.raw_schema["paths"].items():
        if "{" in path:
            for method in operations:
                if method in HTTP_METHODS:
                    yield method, path


HTTP_METHODS = {"get", "put", "patch", "post", "delete"}
HOSTILE_IDS = [
    "abc",
    "1e5",
    "-1",
    "0",
    "9" * 30,  # far past a bigint
    "9223372036854775808",  # one past PostgreSQL's bigint
    "%E5%85%9A%E5%A7%94",  # 党委 (non-ASCII), percent-encoded as a client sends it
    "%C3%A9%C3%A8",
    "%F0%9F%98%80",  # an emoji: four bytes of UTF-8
    "%FF%FE",  # not UTF-8 at all
    "a%2Fb",  # an encoded slash
    "%20",
    "..",
    "x" * 300,
]


@pytest.mark.django_db
@pytest.mark.parametrize("method, path", sorted(set(_templated_paths())))
def test_hostile_path_parameters(method, path, tokens):
    operation = schema.raw_schema["paths"][path][method]
    documented = set(operation["responses"])
    for role, token in tokens.items():
        client = Client(raise_request_exception=False, HTTP_AUTHORIZATION="Token " + token)
        for value in HOSTILE_IDS:
            url = re.sub(r"\{[^}]+\}", value, path)
            generated["hostile " + role] += 1
            if method in {"get", "delete"}:
                response = getattr(client, method)(url)
            else:
                response = getattr(client, method)(url, data="{}", content_type="application/json")
            assert response.status_code < 500, (method, url, role, response.status_code, response.content[:300])
            assert str(response.status_code) in documented, (method, url, role, response.status_code)
            assert response["Content-Type"].startswith("application/json"), (method, url, role)
            if response.status_code >= 400 and response.status_code != 400:
                assert isinstance(response.json().get("detail"), str), (method, url, role, response.content[:300])


def test_enough_cases_were_generated():
    """Runs after the fuzzing tests of this module (pytest keeps file order)."""
    operations = {
        "{} {}".format(method.upper(), path)
        for path, methods in schema.raw_schema["paths"].items()
        for method in methods
        if method in HTTP_METHODS
    }
    if any(operations - operations_called[role] for role in ROLES):
        pytest.skip("only part of the fuzzing tests was selected")
    print("generated cases:", dict(generated))
    assert generated["staff"] + generated["reader"] >= MINIMUM_CASES, dict(generated)
    assert generated["staff"] >= MINIMUM_CASES // 2 and generated["reader"] >= MINIMUM_CASES // 2, dict(generated)
