"""Structured request logs: one JSON line per request, one more per refused access (401/403/404),
with the route pattern and never an ID number or a phone (portal.request_log)."""

import io
import json
import logging

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_output():
    """The text the configured request-log handler writes during the test (levels down to INFO)."""
    loggers = [logging.getLogger("portal.request"), logging.getLogger("portal.access")]
    handlers = {h for logger in loggers for h in logger.handlers if h.name == "request_log"}
    assert handlers, "portal.request has no handler of its own (settings.LOGGING)"
    stream = io.StringIO()
    previous_streams = {handler: handler.setStream(stream) for handler in handlers}
    previous_levels = {logger: logger.level for logger in loggers}
    for logger in loggers:
        logger.setLevel(logging.INFO)
    yield stream
    for handler, previous in previous_streams.items():
        handler.setStream(previous)
    for logger, level in previous_levels.items():
        logger.setLevel(level)


def lines(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_requests_and_refusals_are_logged_without_personal_data(log_output, api_as, client_as, users, make_member):
    member = make_member("BRANCH_A", name="Wang", phone="13911112222")
    outsider = make_member("BRANCH_C", name="Lin", phone="13833334444")
    staff = api_as("county_staff")

    # A list, searched by phone and by ID number (query strings are never logged).
    assert staff.get("/api/v1/members/", {"q": member.phone}).status_code == 200
    assert staff.get("/api/v1/members/", {"q": member.id_number}).status_code == 200
    # 403: visible, not writable.
    assert api_as("secretary_a").patch("/api/v1/organizations/BRANCH_A/", {"name": "x"}, format="json").status_code == 403
    # 404 by scope, on a page and in the API, with personal data in the query and the path.
    secretary_page = client_as("secretary_a")
    assert secretary_page.get("/members/{}/".format(outsider.pk), {"q": outsider.id_number}).status_code == 404
    assert api_as("secretary_a").get("/api/v1/organizations/{}/".format(outsider.id_number)).status_code == 404
    # A path that resolves to nothing, carrying a phone.
    assert secretary_page.get("/no-such-page/{}/".format(outsider.phone)).status_code == 404
    # 401: no credentials.
    assert APIClient().get("/api/v1/members/", {"phone": member.phone}).status_code == 401

    output = log_output.getvalue()
    for secret in (member.phone, member.id_number, outsider.phone, outsider.id_number, member.id_number[-6:]):
        assert secret not in output
    records = lines(log_output)
    for record in records:
        assert set(record) == {"time", "user_id", "user", "method", "route", "status", "ms"}
        assert "?" not in record["route"] and "(" not in record["route"]

    def found(status, method, route_part, user):
        return [
            r for r in records if r["status"] == status and r["method"] == method and route_part in r["route"] and r["user"] == user
        ]

    # Each refused request has its request line and its access line: two identical lines.
    assert len(found(200, "GET", "members", "county_staff")) == 2
    assert len(found(403, "PATCH", "organizations", "secretary_a")) == 2
    assert len(found(404, "GET", "members/<int:pk>/", "secretary_a")) == 2
    assert len(found(404, "GET", "organizations", "secretary_a")) == 2
    unresolved = [r for r in records if r["route"] == "<unresolved>"]
    assert len(unresolved) == 2 and unresolved[0]["status"] == 404
    assert len(found(401, "GET", "members", None)) == 2
    assert all(r["user_id"] == users["secretary_a"].pk for r in found(403, "PATCH", "organizations", "secretary_a"))
    assert len(records) == 2 + 2 * 5


def test_refusals_are_logged_at_warning_and_requests_at_info(api_as):
    """With LOG_LEVEL=WARNING only refusals are written; the request lines are INFO."""
    handler_records = []

    class Collect(logging.Handler):
        def emit(self, record):
            handler_records.append((record.name, record.levelname))

    collector = Collect()
    loggers = [logging.getLogger("portal.request"), logging.getLogger("portal.access")]
    for logger in loggers:
        logger.addHandler(collector)
        logger.setLevel(logging.WARNING)
    try:
        api_as("county_staff").get("/api/v1/organizations/")
        api_as("secretary_a").get("/api/v1/organizations/COUNTY2/")
    finally:
        for logger in loggers:
            logger.removeHandler(collector)
            logger.setLevel(logging.NOTSET)
    assert handler_records == [("portal.access", "WARNING")]
