"""Rules the database itself keeps: approved ratings are final, groups hold at most 10 members."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction

from appraisal import services
from appraisal.models import (
    GROUP_SIZE_LIMIT,
    DisposalDecision,
    MutualEvaluationGroup,
    Participant,
    Rating,
)
from tests.appraisal.conftest import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(city_round, people, users):
    services.save_ratings(city_round, users["secretary_a"], [{"member": m.pk, "rating": "qualified"} for m in people["A"]])
    branch = people["A"][0].organization
    services.move_step(city_round, users["secretary_a"], branch, "submit")
    services.move_step(city_round, users["secretary_a"], branch, "publicize", today=datetime.date(2000, 1, 1))
    services.move_step(city_round, users["county_staff"], branch, "approve")
    return Rating.objects.get(member=people["A"][0])


def refused(action):
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        action()
    assert "approved rating is final" in str(caught.value)


def test_orm_save_of_an_approved_rating_is_refused(approved):
    approved.rating = "outstanding"
    refused(approved.save)


def test_queryset_update_of_an_approved_rating_is_refused(approved):
    refused(lambda: Rating.objects.filter(pk=approved.pk).update(rating="unqualified"))
    refused(lambda: Rating.objects.filter(pk=approved.pk).update(status="draft"))


def test_raw_sql_update_and_delete_of_an_approved_rating_are_refused(approved):
    def raw(sql):
        with connection.cursor() as cursor:
            cursor.execute(sql, [approved.pk])

    refused(lambda: raw("UPDATE appraisal_rating SET rating = 'outstanding' WHERE id = %s"))
    refused(lambda: raw("DELETE FROM appraisal_rating WHERE id = %s"))
    approved.refresh_from_db()
    assert (approved.rating, approved.status) == ("qualified", "approved")


def test_orm_delete_of_an_approved_rating_is_refused(approved):
    refused(approved.delete)


def test_only_the_reopening_goes_back_and_it_is_recorded(approved, city_round, users):
    with pytest.raises(Exception):
        services.reopen(city_round, users["county_staff"], approved.organization, "typo")
    services.reopen(city_round, users["city_admin"], approved.organization, "Entered against the wrong member")
    approved.refresh_from_db()
    assert approved.status == "draft"
    approved.rating = "outstanding"
    approved.save()
    assert city_round.reopenings.get().ratings_reopened == 4


def test_drafts_may_change(city_round, people, users):
    services.save_ratings(city_round, users["secretary_a"], [{"member": people["A"][0].pk, "rating": "qualified"}])
    Rating.objects.update(rating="outstanding")
    assert Rating.objects.get().rating == "outstanding"


@pytest.fixture
def full_group(city_round, tree):
    branch = tree["BRANCH_A"]
    group = MutualEvaluationGroup.objects.create(round=city_round, organization=branch, name="Group 1")
    for index in range(GROUP_SIZE_LIMIT):
        member = make_member(branch, name="Grouped {}".format(index))
        Participant.objects.create(round=city_round, member=member, organization=branch, group=group)
    return group


def test_group_size_limit_in_model_clean(full_group, city_round, tree):
    extra = Participant(round=city_round, member=make_member(tree["BRANCH_A"]), organization=tree["BRANCH_A"], group=full_group)
    with pytest.raises(ValidationError) as caught:
        extra.full_clean()
    assert "at most 10" in str(caught.value)


def test_group_size_limit_in_the_database(full_group, city_round, tree):
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        Participant.objects.create(
            round=city_round, member=make_member(tree["BRANCH_A"]), organization=tree["BRANCH_A"], group=full_group
        )
    assert "at most 10" in str(caught.value)
    loose = Participant.objects.create(round=city_round, member=make_member(tree["BRANCH_A"]), organization=tree["BRANCH_A"])
    with pytest.raises(DatabaseError), transaction.atomic():
        Participant.objects.filter(pk=loose.pk).update(group=full_group)
    # Moving a member who is already in the group does not count them twice.
    inside = full_group.participants.first()
    inside.self_evaluation = "I studied"
    inside.save()
    Participant.objects.filter(pk=inside.pk).update(group=full_group)


def test_disposal_rules(city_round, people, users):
    services.save_ratings(city_round, users["secretary_a"], [{"member": people["A"][0].pk, "rating": "unqualified"}, {"member": people["A"][1].pk, "rating": "qualified"}])
    unqualified = Rating.objects.get(member=people["A"][0])
    decision = DisposalDecision(rating=unqualified, kind="limited_correction", branch_meeting_on=datetime.date(2026, 3, 31), votes_for=9, votes_against=1, votes_abstaining=0, talk_held_on=datetime.date(2026, 3, 1))
    services.save_disposal(decision, users["secretary_a"])
    assert (decision.correction_months, decision.review_on) == (6, datetime.date(2026, 9, 30))
    too_long = DisposalDecision(rating=unqualified, kind="limited_correction", correction_months=13)
    with pytest.raises(ValidationError):
        too_long.full_clean()
    qualified = DisposalDecision(rating=Rating.objects.get(member=people["A"][1]), kind="removal")
    with pytest.raises(ValidationError):
        qualified.full_clean()


def test_removal_takes_the_member_off_the_roster(city_round, people, users):
    member = people["A"][0]
    services.save_ratings(city_round, users["secretary_a"], [{"member": member.pk, "rating": "unqualified"}])
    # Submit needs every enrolled member of the branch rated.
    services.save_ratings(city_round, users["secretary_a"], [{"member": m.pk, "rating": "qualified"} for m in people["A"][1:]])
    decision = DisposalDecision(
        rating=Rating.objects.get(member=member),
        kind="removal",
        talk_held_on=datetime.date(2026, 3, 1),
        branch_meeting_on=datetime.date(2026, 3, 10),
        votes_for=8,
        votes_against=0,
        votes_abstaining=1,
    )
    services.save_disposal(decision, users["secretary_a"])
    member.refresh_from_db()
    assert member.is_current
    decision.committee_approved_on = datetime.date(2026, 4, 1)
    # Not before the rating itself is approved.
    with pytest.raises(ValidationError):
        services.save_disposal(decision, users["county_staff"])
    branch = member.organization
    services.move_step(city_round, users["secretary_a"], branch, "submit")
    services.move_step(city_round, users["secretary_a"], branch, "publicize", today=datetime.date(2000, 1, 1))
    services.move_step(city_round, users["county_staff"], branch, "approve")
    decision.rating.refresh_from_db()
    # The branch secretary may not record the higher committee's approval.
    with pytest.raises(PermissionDenied):
        services.save_disposal(decision, users["secretary_a"])
    services.save_disposal(decision, users["county_staff"])
    member.refresh_from_db()
    assert (member.left_on, member.exit_reason) == (datetime.date(2026, 4, 1), "removal")


def test_every_change_of_a_rating_is_in_its_history(approved, city_round, users, client_as):
    from portal.audit import history_for

    labels = [event.pgh_label for event in history_for(approved)]
    # insert (entered), then submit, publicize, approve: one event each, newest first.
    assert labels.count("update") == 3 and labels[-1] == "insert"
    services.reopen(city_round, users["city_admin"], approved.organization, "Entered against the wrong member")
    latest = history_for(approved)[0]
    assert latest.pgh_label == "update" and latest.pgh_diff["status"] == ["approved", "draft"]
