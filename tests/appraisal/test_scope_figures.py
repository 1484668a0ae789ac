"""Counts about a round cover only the caller's part of it (security audit, issue 8 finding 10).

The city's round covers branches A (4 participants), B (2) and C (2). Branch A's secretary may
open the round, but its totals are the city's figures, which the statistics API refuses them:
the round list, the round API and the entry grid's outstanding-share warning count only what
each role may see.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appraisal import services
from appraisal.models import AppraisalRound

pytestmark = pytest.mark.django_db

EXPECTED_PARTICIPANTS = {"city_admin": 8, "county_staff": 6, "secretary_a": 4, "secretary_b": 2}


@pytest.mark.parametrize("role", sorted(EXPECTED_PARTICIPANTS))
def test_round_api_counts_only_the_participants_in_scope(api_as, city_round, role):
    api = api_as(role)
    detail = api.get("/api/v1/appraisal-rounds/{}/".format(city_round.pk))
    assert detail.status_code == 200
    assert detail.json()["participants"] == EXPECTED_PARTICIPANTS[role]
    listed = {row["id"]: row for row in api.get("/api/v1/appraisal-rounds/").json()["results"]}
    assert listed[city_round.pk]["participants"] == EXPECTED_PARTICIPANTS[role]


def test_statistics_api_and_round_api_agree_for_a_secretary(api_as, city_round):
    # The statistics API refuses the round's figures to the secretary; the round API must not give them.
    assert api_as("secretary_a").get("/api/v1/stats/appraisal/", {"round": city_round.pk, "org": "CITY"}).status_code == 404
    assert api_as("secretary_a").get("/api/v1/appraisal-rounds/{}/".format(city_round.pk)).json()["participants"] == 4


@pytest.mark.parametrize("role", sorted(EXPECTED_PARTICIPANTS))
def test_round_list_page_counts_only_the_participants_in_scope(client_as, city_round, role):
    response = client_as(role).get("/appraisal/")
    assert response.status_code == 200
    rounds = {r.pk: r for r in response.context["object_list"]}
    assert rounds[city_round.pk].participant_count == EXPECTED_PARTICIPANTS[role]
    html = response.content.decode()
    if role == "secretary_a":
        assert '<td class="">8</td>' not in html and "<td>8</td>" not in html


def test_round_list_costs_no_query_per_round(api_as, tree, people, city_round):
    api = api_as("secretary_a")
    api.get("/api/v1/appraisal-rounds/")  # the forced user's scope is loaded once, then cached on it
    with CaptureQueriesContext(connection) as one:
        assert api.get("/api/v1/appraisal-rounds/").status_code == 200
    for year in (2027, 2028, 2029):
        services.open_round(AppraisalRound(name="Round {}".format(year), year=year, organization=tree["TOWN"], publicity_days=5))
    with CaptureQueriesContext(connection) as four:
        rows = api.get("/api/v1/appraisal-rounds/").json()["results"]
    assert len(rows) == 4
    assert len(four.captured_queries) == len(one.captured_queries)


def _rate_everyone_outstanding_outside_branch_a(city_round, people, users):
    services.save_ratings(
        city_round, users["city_admin"], [{"member": m.pk, "rating": "outstanding"} for m in people["B"] + people["C"]]
    )
    services.save_ratings(city_round, users["city_admin"], [{"member": people["A"][0].pk, "rating": "qualified"}])


def test_entry_grid_of_a_secretary_carries_only_their_own_counts(client_as, city_round, people, users):
    _rate_everyone_outstanding_outside_branch_a(city_round, people, users)
    response = client_as("secretary_a").get("/appraisal/{}/entry/BRANCH_A/".format(city_round.pk))
    assert response.status_code == 200
    counts = response.context["grid_config"]["roundCounts"]
    assert counts == {"outstanding": 0, "qualified": 1, "basically_qualified": 0, "unqualified": 0}
    html = response.content.decode()
    assert "&quot;outstanding&quot;: 4" not in html and '"outstanding": 4' not in html
    assert "The round&#x27;s share" not in html and "The round's share" not in html
    assert "in your organizations would be" in html


def test_entry_grid_of_the_rounds_staff_counts_their_subtree_and_the_admin_the_round(client_as, city_round, people, users):
    _rate_everyone_outstanding_outside_branch_a(city_round, people, users)
    staff = client_as("county_staff").get("/appraisal/{}/entry/BRANCH_A/".format(city_round.pk))
    assert staff.context["grid_config"]["roundCounts"]["outstanding"] == 2  # branch B only; C is another county
    assert staff.context["covers_round"] is False
    admin = client_as("city_admin").get("/appraisal/{}/entry/BRANCH_A/".format(city_round.pk))
    assert admin.context["grid_config"]["roundCounts"]["outstanding"] == 4
    assert admin.context["covers_round"] is True
    assert "in your organizations would be" not in admin.content.decode()
