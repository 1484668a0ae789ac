"""The appraisal grids on the portal's entry grid: the branch's ratings and its mutual-evaluation
groups are declarations on ``portal.views.grid.EntryGridView``, tested as data on its base."""

import pytest

from appraisal.models import BranchEvaluation, MutualEvaluationGroup, MutualEvaluationVote, Participant, Rating
from tests.bases.grid import GridViewTestCase, cell_messages

pytestmark = pytest.mark.django_db


class TestRatingGrid(GridViewTestCase):
    model = Rating
    url = "/appraisal/{round}/entry/BRANCH_A/"
    out_of_scope_url = "/appraisal/{round}/entry/BRANCH_B/"
    open_status = {"secretary_a": 200, "county_staff": 200, "city_admin": 200, "reader": 403, "anonymous": 302}
    rows_shown = {"secretary_a": ["Alice 0", "Alice probationary"], "county_staff": ["Alice 0"]}
    rows_hidden = {"secretary_a": ["Bob 0", "Carol 0", "Gone"]}
    out_of_scope_roles = ["secretary_a"]
    read_only = {"reader": 403}
    editor = "secretary_a"
    good_post = {"rating-{alice0}": "outstanding", "rating-{alice1}": "qualified"}
    summary = "Saved 2 ratings. 2 new, 0 changed, 0 unchanged."
    bad_post = {"rating-{alice0}": "outstanding", "rating-{alice1}": "excellent"}
    bad_cell = "rating-{alice1}"
    bad_message = "Choose one of the offered values."

    @pytest.fixture
    def world(self, city_round, people):
        return {"round": city_round.pk, "alice0": people["A"][0].pk, "alice1": people["A"][1].pk}


class TestGroupGrid(GridViewTestCase):
    model = Participant
    url = "/appraisal/{round}/groups/BRANCH_A/"
    out_of_scope_url = "/appraisal/{round}/groups/BRANCH_B/"
    open_status = {"secretary_a": 200, "county_staff": 200, "reader": 403, "anonymous": 302}
    rows_shown = {"secretary_a": ["Alice 0"]}
    rows_hidden = {"secretary_a": ["Bob 0"]}
    out_of_scope_roles = ["secretary_a"]
    read_only = {"reader": 403}
    editor = "secretary_a"
    good_post = {"group-{p0}": "{group}", "group-{p1}": "{group}"}
    summary = "Groups saved."
    bad_post = {"group-{p0}": "{group}", "group-{p1}": "999999999"}
    bad_cell = "group-{p1}"
    bad_message = "Choose one of the offered values."

    @pytest.fixture
    def world(self, city_round, people, tree):
        group = MutualEvaluationGroup.objects.create(round=city_round, organization=tree["BRANCH_A"], name="Group 1")
        participants = {p.member_id: p.pk for p in Participant.objects.filter(round=city_round)}
        return {
            "round": city_round.pk,
            "group": group.pk,
            "p0": participants[people["A"][0].pk],
            "p1": participants[people["A"][1].pk],
        }


class TestEvaluationGrid(GridViewTestCase):
    url = "/appraisal/{round}/evaluation/BRANCH_A/"
    out_of_scope_url = "/appraisal/{round}/evaluation/BRANCH_B/"
    open_status = {"secretary_a": 200, "county_staff": 200, "reader": 403, "anonymous": 302}
    rows_shown = {"secretary_a": ["Alice 0"]}
    rows_hidden = {"secretary_a": ["Bob 0"]}
    out_of_scope_roles = ["secretary_a"]
    read_only = {"reader": 403}
    editor = "secretary_a"
    good_post = {"non_party_representatives": "3", "votes-{p0}-outstanding-group": "5", "self-{p0}": "Led the study group."}
    summary = "Evaluation records saved."
    # The service's own check, on the cell it concerns: more non-party votes than representatives.
    bad_post = {"non_party_representatives": "3", "votes-{p0}-outstanding-group": "5", "votes-{p0}-outstanding-non_party": "4"}
    bad_cell = "votes-{p0}-outstanding-non_party"
    bad_message = "more non-party votes than non-party representatives"

    def rows(self):
        return [
            list(BranchEvaluation.objects.order_by("pk").values()),
            list(MutualEvaluationVote.objects.order_by("pk").values()),
            list(Participant.objects.order_by("pk").values("pk", "self_evaluation")),
        ]

    @pytest.fixture
    def world(self, city_round, people):
        participant = Participant.objects.get(round=city_round, member=people["A"][0])
        return {"round": city_round.pk, "p0": participant.pk}


def test_the_entry_grid_marks_members_without_a_rating(client_as, city_round, people, users):
    from appraisal import services

    services.save_ratings(city_round, users["secretary_a"], [{"member": people["A"][0].pk, "rating": "qualified"}])
    page = client_as("secretary_a").get("/appraisal/{}/entry/BRANCH_A/".format(city_round.pk)).content.decode()
    # Three of four members are not rated yet: their rows carry the visible "not chosen" mark.
    assert page.count("grid-row-empty") == 3
    assert page.count('grid-empty-badge"') == 3


def test_a_refused_change_past_draft_is_a_page_message_with_nothing_saved(client_as, city_round, people, api_as):
    from tests.appraisal.conftest import rate, step

    assert rate(api_as("secretary_a"), city_round, people["A"]).status_code == 200
    assert step(api_as("secretary_a"), city_round, "submit", "BRANCH_A").status_code == 200
    before = list(Rating.objects.order_by("pk").values())
    response = client_as("secretary_a").post(
        "/appraisal/{}/entry/BRANCH_A/".format(city_round.pk),
        {"rating-{}".format(people["A"][0].pk): "outstanding"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert 'id="grid-errors"' in page and "Nothing was saved." in page
    assert list(Rating.objects.order_by("pk").values()) == before
    # Past draft, the cells are locked on the page too.
    assert page.count("disabled") >= 4 * 4


def test_a_posted_row_outside_the_grid_saves_nothing(client_as, city_round, people):
    response = client_as("secretary_a").post(
        "/appraisal/{}/entry/BRANCH_A/".format(city_round.pk),
        {"rating-{}".format(people["A"][0].pk): "qualified", "rating-{}".format(people["B"][0].pk): "qualified"},
    )
    assert response.status_code == 400
    assert "not part of this grid" in response.content.decode()
    assert not Rating.objects.exists()
    assert cell_messages(response.content.decode(), "rating-{}".format(people["A"][0].pk)) == []


@pytest.mark.parametrize("page", ["entry", "groups", "evaluation"])
def test_the_grids_query_count_does_not_grow_with_the_rows(client_as, city_round, tree, users, page):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from appraisal import services
    from tests.appraisal.conftest import make_member

    url = "/appraisal/{}/{}/BRANCH_A/".format(city_round.pk, page)
    client = client_as("secretary_a")
    client.get(url)  # sessions, caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for index in range(6):
        services.add_participant(city_round, make_member(tree["BRANCH_A"], name="Late {}".format(index)), users["secretary_a"])
    with CaptureQueriesContext(connection) as more:
        page_text = client.get(url).content.decode()
    assert "Late 5" in page_text
    assert len(more) == len(few), [q["sql"][:120] for q in more.captured_queries]
