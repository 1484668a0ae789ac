"""Hostile input on the appraisal's own code paths: a 400 with a message, never a server error
(security audit, issue 8 finding 3). ``tests/portal/test_hostile_inputs.py`` walks every form and
endpoint for server errors; these pin the appraisal's answers and reach its services directly."""

import pytest
from django.core.exceptions import ValidationError

from appraisal import services
from appraisal.models import BranchEvaluation, DisposalDecision, Objection, Participant, Rating
from tests import hostile

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field", ["branch_meeting_on", "committee_approved_on", "talk_held_on", "review_on"])
def test_disposal_dates_near_9999_are_form_errors(client_as, city_round, people, users, field):
    # The correction deadline is the branch meeting (or the approval) plus up to 12 months.
    services.save_ratings(city_round, users["secretary_a"], [{"member": people["A"][0].pk, "rating": "unqualified"}])
    rating = Rating.objects.get()
    data = {
        "kind": "limited_correction",
        "correction_months": "12",
        "talk_held_on": "2026-03-01",
        "branch_meeting_on": "2026-03-10",
        "votes_for": "9",
        "review_outcome": "pending",
    }
    data[field] = hostile.LAST_DAY
    response = client_as("city_admin").post("/appraisal/ratings/{}/disposal/".format(rating.pk), data)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == ["Enter a date between 1900-01-01 and 2999-12-31."]
    assert not DisposalDecision.objects.exists()


@pytest.mark.parametrize(
    "value, message",
    [
        (hostile.SUPERSCRIPT_DIGIT, "a whole number of 0 or more"),
        (hostile.NON_ASCII_DIGITS, "a whole number of 0 or more"),
        ("9" * 30, "at most 100000"),
    ],
)
def test_evaluation_counts_must_be_ascii_whole_numbers_in_range(client_as, city_round, people, value, message):
    participant = Participant.objects.get(round=city_round, member=people["A"][0])
    url = "/appraisal/{}/evaluation/BRANCH_A/".format(city_round.pk)
    for key in ("non_party_representatives", "votes-{}-qualified-group".format(participant.pk)):
        response = client_as("secretary_a").post(url, {key: value})
        assert response.status_code == 400
        assert message in " ".join(response.context["errors"])
    assert not BranchEvaluation.objects.exists()


def test_evaluation_meeting_date_near_9999_is_refused(client_as, city_round, people):
    url = "/appraisal/{}/evaluation/BRANCH_A/".format(city_round.pk)
    response = client_as("secretary_a").post(url, {"meeting_held_on": hostile.LAST_DAY})
    assert response.status_code == 400
    assert "Enter a date between 1900-01-01 and 2999-12-31." in response.context["errors"]


@pytest.mark.parametrize("text", [hostile.NUL, hostile.LONE_SURROGATE])
def test_evaluation_texts_that_cannot_be_stored_are_refused_by_the_service(city_round, people, users, tree, text):
    participant = Participant.objects.get(round=city_round, member=people["A"][0])
    with pytest.raises(ValidationError):
        services.save_evaluation(city_round, users["secretary_a"], tree["BRANCH_A"], {"self-{}".format(participant.pk): text})
    participant.refresh_from_db()
    assert participant.self_evaluation == ""


@pytest.mark.parametrize(
    "member, message",
    [
        (hostile.HUGE_INT, "does not take part"),
        (hostile.NEGATIVE_ID, "whole number"),
        (hostile.NON_ASCII_DIGITS, "whole number"),
        (str(hostile.HUGE_INT), "does not take part"),
    ],
)
def test_rating_rows_with_impossible_member_ids_are_400(api_as, city_round, people, member, message):
    response = api_as("secretary_a").post(
        "/api/v1/appraisal-rounds/{}/ratings/".format(city_round.pk), [{"member": member, "rating": "qualified"}], format="json"
    )
    assert response.status_code == 400
    assert message in response.json()["ratings"][0]
    assert not Rating.objects.exists()


@pytest.mark.parametrize("text", [hostile.NUL, hostile.LONE_SURROGATE])
def test_services_refuse_texts_that_cannot_be_stored(city_round, people, users, tree, text):
    # Callers other than the pages and the API (which refuse these first) still get a 400, not a 500.
    admin = users["city_admin"]
    with pytest.raises(ValidationError) as refused:
        services.save_ratings(city_round, admin, [{"member": people["A"][0].pk, "rating": "qualified", "reason": text}])
    assert "reason" in str(refused.value)
    # Submit needs every enrolled member of the branch rated.
    services.save_ratings(city_round, admin, [{"member": m.pk, "rating": "qualified"} for m in people["A"]])
    services.move_step(city_round, admin, tree["BRANCH_A"], "submit")
    services.move_step(city_round, admin, tree["BRANCH_A"], "publicize")
    with pytest.raises(ValidationError):
        services.record_objection(city_round, admin, people["A"][0], text)
    assert not Objection.objects.exists()
