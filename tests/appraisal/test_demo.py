"""The appraisal demo step: skips with a message without the roster's demo data; idempotent on a small stand-in."""

import io

import pytest

from appraisal import demo
from appraisal.models import AppraisalRound, DisposalDecision, Rating
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
    for _index in range(92):
        make_member(branch)
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
    # 92 formal members at the report's shares (9,208 → 92: 10 outstanding, 81 qualified, 1 rest).
    assert ratings.count() == 92 and set(ratings.values_list("status", flat=True)) == {"approved"}
    assert ratings.filter(rating="outstanding").count() == 1050 * 92 // 9208
    assert DisposalDecision.objects.count() == ratings.filter(rating="unqualified").count()
    assert AppraisalRound.objects.count() == 2
    assert Rating.objects.filter(round__organization=fuzhou).count() == 6
    assert "exists already" in out.getvalue()
