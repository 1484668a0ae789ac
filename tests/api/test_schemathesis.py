"""Property-based API testing from the OpenAPI document (schemathesis).

Every operation of the schema is called with generated input as a city administrator and as a
county staff member; whatever the input, the API must never answer with a server error and every
answer must match what the schema documents for it.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance
from schemathesis.checks import not_a_server_error


# Generating the schema touches no database, so it can be loaded while the module is collected.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", WSGIHandler())


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
    return {role: AuthToken.objects.create(users[role])[1] for role in ("city_admin", "county_staff")}


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_api_answers_as_documented(case, tokens, keep_connection):
    for role, token in tokens.items():
        response = case.call(headers={"Authorization": "Token " + token})
        case.validate_response(
            response, checks=[not_a_server_error, status_code_conformance, response_schema_conformance]
        )
