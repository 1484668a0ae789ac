"""The ratings workflow's rules users met (issue 13): no change after submit, submit needs everyone
rated, and the round page offers a step only where it can be made, saying why not otherwise."""

import datetime

import pytest

from appraisal import services
from appraisal.models import Rating
from portal.workflow import WorkflowConflict
from tests.appraisal.conftest import rate, step

pytestmark = pytest.mark.django_db


def _statuses(appraisal_round):
    return dict(Rating.objects.filter(round=appraisal_round).values_list("member_id", "status"))


@pytest.fixture
def submitted(city_round, people, api_as):
    assert rate(api_as("secretary_a"), city_round, people["A"]).status_code == 200
    assert step(api_as("secretary_a"), city_round, "submit", "BRANCH_A").status_code == 200
    return city_round


@pytest.mark.parametrize("stage", ["submitted", "publicized"])
def test_the_api_refuses_to_change_ratings_past_draft(submitted, people, api_as, stage):
    if stage == "publicized":
        assert step(api_as("secretary_a"), submitted, "publicize", "BRANCH_A").status_code == 200
    before = list(Rating.objects.order_by("pk").values())
    response = rate(api_as("secretary_a"), submitted, people["A"][:1], "outstanding")
    assert response.status_code == 409, response.content
    assert "higher committee" in response.json()["detail"]
    # Nothing saved and nothing dropped back to draft: the branch is not split.
    assert list(Rating.objects.order_by("pk").values()) == before
    assert set(_statuses(submitted).values()) == {stage}


def test_the_entry_grid_refuses_to_change_submitted_ratings(submitted, people, client_as):
    data = {"rating-{}".format(m.pk): "qualified" for m in people["A"]}
    data["rating-{}".format(people["A"][0].pk)] = "outstanding"
    response = client_as("secretary_a").post("/appraisal/{}/entry/BRANCH_A/".format(submitted.pk), data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Saved 4 ratings" not in html and "higher committee" in html
    assert set(_statuses(submitted).values()) == {"submitted"}
    assert Rating.objects.get(member=people["A"][0]).rating == "qualified"


def test_sending_the_same_ratings_again_after_submit_changes_nothing(submitted, people, api_as):
    response = rate(api_as("secretary_a"), submitted, people["A"])
    assert response.status_code == 200
    assert set(_statuses(submitted).values()) == {"submitted"}


def test_submit_refuses_unrated_members_and_names_them(city_round, people, api_as, users):
    api = api_as("secretary_a")
    assert rate(api, city_round, people["A"][:3]).status_code == 200
    response = step(api, city_round, "submit", "BRANCH_A")
    assert response.status_code == 409, response.content
    detail = response.json()["detail"]
    assert "1 enrolled member is not rated yet" in detail and "Alice probationary" in detail
    assert set(_statuses(city_round).values()) == {"draft"}
    with pytest.raises(WorkflowConflict):
        services.move_step(city_round, users["secretary_a"], people["A"][0].organization, "submit")
    # Once everyone is rated, submit goes through.
    assert rate(api, city_round, people["A"][3:]).status_code == 200
    assert step(api, city_round, "submit", "BRANCH_A").json()["moved"] == 4


def test_submit_page_shows_the_missing_members(city_round, people, api_as, client_as):
    assert rate(api_as("secretary_a"), city_round, people["A"][:3]).status_code == 200
    client = client_as("secretary_a")
    response = client.post(
        "/appraisal/{}/workflow/".format(city_round.pk), {"action": "submit", "organization": "BRANCH_A"}, follow=True
    )
    assert "Alice probationary" in response.content.decode()
    assert set(_statuses(city_round).values()) == {"draft"}


def test_round_page_offers_approve_only_where_possible_and_says_why_not(city_round, people, api_as, client_as):
    secretary = api_as("secretary_a")
    assert rate(secretary, city_round, people["A"]).status_code == 200
    assert step(secretary, city_round, "submit", "BRANCH_A").status_code == 200
    assert step(secretary, city_round, "publicize", "BRANCH_A").status_code == 200
    html = client_as("city_admin").get("/appraisal/{}/".format(city_round.pk)).content.decode()
    # Publicity runs: no approve button that can be pressed, and the end date is on the page.
    ends = (datetime.date.today() + datetime.timedelta(days=city_round.publicity_days)).isoformat()
    assert "runs until {}".format(ends) in html
    assert 'value="approve" disabled' in html
    assert '<button class="btn btn-sm btn-success" name="action" value="approve">' not in html
    # Committees with nothing publicized below them offer no approval at all (COUNTY2, BRANCH_C's parent).
    assert 'data-committee="COUNTY2"' not in html
    # Once the period is over the button is there.
    Rating.objects.update(publicized_on=datetime.date(2000, 1, 1))
    html = client_as("city_admin").get("/appraisal/{}/".format(city_round.pk)).content.decode()
    assert '<button class="btn btn-sm btn-success" name="action" value="approve">' in html


def test_the_higher_committee_sends_ratings_back_with_a_reason_and_then_they_change(submitted, people, client_as, api_as, users):
    from portal.audit import history_for

    url = "/appraisal/{}/workflow/".format(submitted.pk)
    # The branch may not send its own ratings back; without a reason nobody may.
    client_as("secretary_a").post(url, {"action": "return", "organization": "BRANCH_A", "reason": "Mine"})
    client_as("county_staff").post(url, {"action": "return", "organization": "BRANCH_A", "reason": ""})
    assert set(_statuses(submitted).values()) == {"submitted"}
    page = client_as("county_staff").get("/appraisal/{}/".format(submitted.pk)).content.decode()
    assert 'value="return"' in page
    response = client_as("county_staff").post(
        url, {"action": "return", "organization": "BRANCH_A", "reason": "Alice 0 was abroad all year"}, follow=True
    )
    assert "sent back" in response.content.decode()
    assert set(_statuses(submitted).values()) == {"draft"}
    rating = Rating.objects.get(member=people["A"][0])
    assert history_for(rating)[0].pgh_context["reason"] == "Alice 0 was abroad all year"
    # Back in draft, the branch changes the rating again.
    assert rate(api_as("secretary_a"), submitted, people["A"][:1], "outstanding").status_code == 200
