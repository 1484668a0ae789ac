"""The appraisal's part of the dashboard: its distribution chart and pending approvals."""

import datetime

import pytest

from appraisal.models import AppraisalRound, Rating
from portal.models import RollupRun
from portal.rollups import engine

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated_round(tree, make_member):
    members = [make_member("BRANCH_A") for _ in range(3)] + [make_member("BRANCH_B")]
    appraisal_round = AppraisalRound.objects.create(
        name="Round", year=2026, organization=tree["COUNTY"], opens_on=datetime.date(2026, 1, 1), publicity_days=7
    )
    ratings = ["outstanding", "qualified", "qualified", "unqualified"]
    statuses = ["publicized", "publicized", "draft", "publicized"]
    for member, rating, status in zip(members, ratings, statuses):
        Rating.objects.create(
            round=appraisal_round, member=member, organization=member.organization, rating=rating, status=status
        )
    run = RollupRun.objects.create()
    assert engine.execute_run(run.pk) == "succeeded", RollupRun.objects.get(pk=run.pk).error
    return appraisal_round


def test_dashboard_shows_the_round_distribution_from_the_snapshot(client_as, rated_round):
    response = client_as("county_staff").get("/?org=COUNTY")
    assert response.status_code == 200
    charts = response.context["chart_data"]
    assert charts["appraisal_distribution"]["values"] == [1, 2, 0, 1]
    # A branch secretary sees their own branch's distribution only.
    charts = client_as("secretary_a").get("/").context["chart_data"]
    assert charts["appraisal_distribution"]["values"] == [1, 2, 0, 0]


def test_pending_approvals_count_only_what_the_user_approves(client_as, rated_round):
    def pending(role, query=""):
        figures = client_as(role).get("/" + query).context["key_figures"]
        return next(f["value"] for f in figures if f["name"] == "appraisal_pending")

    # County staff approve for the branches below the county: the three publicized ratings.
    assert pending("county_staff", "?org=COUNTY") == 3
    # A branch secretary approves nothing (no higher role).
    assert pending("secretary_a") == 0
    assert pending("city_admin", "?org=CITY") == 3


def test_distribution_table_downloads_as_xlsx(client_as, rated_round):
    response = client_as("county_staff").get("/dashboard/table.xlsx?org=COUNTY&table=appraisal_distribution")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
