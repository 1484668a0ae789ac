"""The OpenAPI document is valid and documents every error an operation can answer."""

import pytest
import yaml
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api_as):
    response = api_as("anonymous").get("/api/v1/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_validates(schema):
    validate(schema)


def test_every_operation_documents_its_errors(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = set(operation["responses"])
            assert {"400", "401", "403", "404"} <= responses, (method, path, responses)


def test_organization_contract_fields(schema):
    organization = schema["components"]["schemas"]["Organization"]["properties"]
    assert set(organization) >= {
        "code", "name", "kind", "sector", "parent", "depth", "term_started_on", "term_years", "term_expires_on", "is_active"
    }
    assert organization["depth"].get("readOnly") and organization["term_expires_on"].get("readOnly")
