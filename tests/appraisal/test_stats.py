"""The appraisal figure set of the rollup engine and ``/api/v1/stats/appraisal/`` against brute-force counts."""

import datetime
import random

import pytest
from django.db.models import Count

from appraisal import services
from appraisal.choices import RatingChoices, RatingStatusChoices
from appraisal.models import AppraisalRound, Participant, Rating
from members.models import Organization
from portal.models import RollupRun
from portal.rollups import engine
from tests.appraisal.conftest import make_member

pytestmark = pytest.mark.django_db
URL = "/api/v1/stats/appraisal/"


def run_now():
    run = RollupRun.objects.create()
    assert engine.execute_run(run.pk) == "succeeded", RollupRun.objects.get(pk=run.pk).error
    return RollupRun.objects.get(pk=run.pk)


@pytest.fixture
def rated_world(tree, users):
    """Random ratings and statuses across the tree in two rounds; some members moved after rating."""
    rng = random.Random(7)
    places = [tree[code] for code in ("BRANCH_A", "GROUP_A1", "BRANCH_B", "BRANCH_C", "TOWN")]
    for _index in range(60):
        make_member(rng.choice(places))
    rounds = [
        services.open_round(AppraisalRound(name="City", year=2026, organization=tree["CITY"])),
        services.open_round(AppraisalRound(name="County", year=2025, organization=tree["COUNTY"])),
    ]
    ratings = []
    for appraisal_round in rounds:
        for participant in Participant.objects.filter(round=appraisal_round):
            if rng.random() < 0.8:
                ratings.append(
                    Rating(
                        round=appraisal_round,
                        member_id=participant.member_id,
                        organization_id=participant.organization_id,
                        rating=rng.choice(RatingChoices.values),
                        status=rng.choice(RatingStatusChoices.values),
                    )
                )
    Rating.objects.bulk_create(ratings)
    # Moving members afterwards must not move their ratings in the statistics.
    moved = Rating.objects.filter(organization=tree["BRANCH_A"]).values_list("member_id", flat=True)[:5]
    from members.models import Member

    Member.objects.filter(pk__in=list(moved)).update(organization=tree["BRANCH_C"])
    return rounds


def brute_force(appraisal_round, organization):
    ratings = Rating.objects.filter(round=appraisal_round)
    inside = [r for r in ratings.select_related("organization") if r.organization.path.startswith(organization.path)]
    return {
        "rated": len(inside),
        "by_rating": {value: sum(1 for r in inside if r.rating == value) for value in RatingChoices.values},
        "by_status": {value: sum(1 for r in inside if r.status == value) for value in RatingStatusChoices.values},
    }


def test_rollup_figures_match_a_brute_force_count(rated_world, api_as):
    run = run_now()
    client = api_as("city_admin")
    for appraisal_round in rated_world:
        for organization in Organization.objects.all():
            response = client.get(URL, {"round": appraisal_round.pk, "org": organization.code})
            assert response.status_code == 200, response.content
            body = response.json()
            expected = brute_force(appraisal_round, organization)
            assert {key: body[key] for key in expected} == expected, organization.code
            assert body["organization"] == organization.code and body["run"] == run.pk and body["as_of"]
            for value in RatingChoices.values:
                share = round(expected["by_rating"][value] / expected["rated"], 4) if expected["rated"] else 0
                assert body["rates"][value] == share


def test_empty_subtree_reads_zeros_with_all_keys(tree, users, api_as):
    appraisal_round = AppraisalRound.objects.create(name="Empty", year=2026, organization=tree["CITY"])
    run_now()
    body = api_as("reader").get(URL, {"round": appraisal_round.pk, "org": "COUNTY"}).json()
    assert body["rated"] == 0
    assert body["by_rating"] == {value: 0 for value in RatingChoices.values}
    assert body["rates"] == {value: 0 for value in RatingChoices.values}
    assert body["by_status"] == {value: 0 for value in RatingStatusChoices.values}


def test_scope_and_errors(rated_world, api_as):
    run_now()
    round_id = rated_world[0].pk
    assert api_as("secretary_a").get(URL, {"round": round_id, "org": "BRANCH_A"}).status_code == 200
    assert api_as("secretary_a").get(URL, {"round": round_id, "org": "BRANCH_B"}).status_code == 404
    assert api_as("reader").get(URL, {"round": round_id, "org": "COUNTY2"}).status_code == 404
    assert api_as("reader").get(URL, {"round": 999999, "org": "COUNTY"}).status_code == 404
    assert api_as("reader").get(URL, {"org": "COUNTY"}).status_code == 400
    assert api_as("anonymous").get(URL, {"round": round_id, "org": "COUNTY"}).status_code == 401


def test_as_of_reads_an_older_snapshot(rated_world, api_as):
    first = run_now()
    RollupRun.objects.filter(pk=first.pk).update(started_at=first.started_at - datetime.timedelta(days=3))
    Rating.objects.filter(round=rated_world[0], status="draft").delete()
    run_now()
    day = (first.started_at - datetime.timedelta(days=2)).date().isoformat()
    old = api_as("city_admin").get(URL, {"round": rated_world[0].pk, "org": "CITY", "as_of": day}).json()
    new = api_as("city_admin").get(URL, {"round": rated_world[0].pk, "org": "CITY"}).json()
    assert old["run"] == first.pk and new["run"] != first.pk
    assert new["by_status"]["draft"] == 0 and old["by_status"]["draft"] > 0


def test_figures_by_group_by_agree_with_the_orm(rated_world):
    # The leaf query of the contributor is the same GROUP BY the ORM gives.
    run = run_now()
    from portal.models.rollups import RollupFigure

    for appraisal_round in rated_world:
        leaf = dict(
            Rating.objects.filter(round=appraisal_round).values_list("organization_id").annotate(n=Count("pk"))
        )
        city = RollupFigure.objects.get(run=run, organization__code="CITY", figure_set="appraisal", key=str(appraisal_round.pk))
        assert city.counts["rated"] == sum(leaf.values())
