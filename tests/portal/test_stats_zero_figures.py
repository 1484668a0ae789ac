"""A figure with nothing to count is 0, never null (API.md "Statistics": integers)."""

import datetime

import pytest

from tests.portal.test_rollups import run_now

ORGANIZATIONS = "/api/v1/stats/organizations/"


@pytest.mark.django_db
def test_term_overdue_is_zero_for_an_organization_without_a_term(tree, api_as):
    run_now(today=datetime.date(2025, 6, 1))
    # BRANCH_B has no term of office: its term_expires_on is NULL, and so was its count.
    body = api_as("county_staff").get(ORGANIZATIONS, {"org": "BRANCH_B"}).json()
    assert body["term_overdue"] == 0
    assert body["total"] == 1 and body["by_kind"]["branch"] == 1


@pytest.mark.django_db
def test_every_figure_of_a_subtree_without_terms_is_an_integer(tree, api_as):
    run_now(today=datetime.date(2025, 6, 1))
    body = api_as("city_admin").get(ORGANIZATIONS, {"org": "COUNTY2"}).json()  # COUNTY2, BRANCH_C: no terms
    figures = [body["total"], body["term_overdue"], *body["by_kind"].values()]
    assert all(isinstance(figure, int) for figure in figures), body
    assert body["term_overdue"] == 0
