"""The appraisal demo step: skips with a message without the roster's demo data; idempotent on a small stand-in."""

import io

import pytest

from appraisal import demo
from appraisal.models import AppraisalRound, DisposalDecision, Rating
from members.models import Member
from tests.appraisal.conftest import make_member
from tests.conftest import make_org

pytestmark = pytest.mark.django_db


def test_skips_with_a_message_without_the_roster(tree):
    out = io.StringIO()
    demo.load_demo(out)
    assert "skipped" in out.getvalue()
    assert not AppraisalRound.objects.exists()


def test_reproduces_the_seed_shares_and_is_idempotent(tree, monkeypatch):
    root = make_org("ZZ-JG", "working_committee")
    branch = make_org("ZZ-JG-B01", "branch", root)
    template = make_member(branch)
    Member.objects.bulk_create(
        [
            Member(
                name="Demo {}".format(index),
                gender="female",
                birth_date=template.birth_date,
                id_number="3501021990{:08d}".format(index),
                organization=branch,
                status="formal",
                joined_on=template.joined_on,
                full_member_on=template.full_member_on,
            )
            for index in range(499)
        ]
    )
    make_member(branch, status="probationary")
    fuzhou = make_org("FZ", "committee")
    community = make_org("FZ-1", "branch", fuzhou, sector="community")
    for _index in range(6):
        make_member(community)
    out = io.StringIO()
    demo.load_demo(out)
    demo.load_demo(out)
    zhangzhou = AppraisalRound.objects.get(organization=root)
    ratings = Rating.objects.filter(round=zhangzhou)
    # 500 formal members at the report's shares (9,208 → 500: 57 outstanding, 1 unqualified...).
    assert ratings.count() == 500 and set(ratings.values_list("status", flat=True)) == {"approved"}
    assert ratings.filter(rating="outstanding").count() == 1050 * 500 // 9208
    assert ratings.filter(rating="unqualified").count() == 20 * 500 // 9208 == 1
    decision = DisposalDecision.objects.get()
    assert decision.rating.rating == "unqualified" and decision.branch_meeting_on and decision.votes_for
    assert AppraisalRound.objects.count() == 2
    assert Rating.objects.filter(round__organization=fuzhou).count() == 6
    assert "exists already" in out.getvalue()
