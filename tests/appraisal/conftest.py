"""The appraisal's test world: members in branches A, B and C, and a round held by the city."""

import datetime

import pytest

from appraisal import services
from appraisal.models import AppraisalRound
from members.models import Member

_counter = iter(range(1, 10_000_000))


def make_member(organization, status="formal", name=None, **extra):
    number = next(_counter)
    return Member.objects.create(
        name=name or "Member {}".format(number),
        gender="male",
        birth_date=datetime.date(1980, 1, 1),
        id_number="35000019800101{:04d}".format(number % 10000),
        organization=organization,
        status=status,
        joined_on=datetime.date(2000, 1, 1),
        full_member_on=datetime.date(2001, 1, 1) if status == "formal" else None,
        **extra,
    )


@pytest.fixture
def people(tree):
    """Three formal members and one probationary in branch A, two in B, two in C, one who left."""
    a = [make_member(tree["BRANCH_A"], name="Alice {}".format(i)) for i in range(3)]
    a.append(make_member(tree["BRANCH_A"], status="probationary", name="Alice probationary"))
    b = [make_member(tree["BRANCH_B"], name="Bob {}".format(i)) for i in range(2)]
    c = [make_member(tree["BRANCH_C"], name="Carol {}".format(i)) for i in range(2)]
    gone = make_member(tree["BRANCH_A"], name="Gone")
    gone.record_exit("death")
    return {"A": a, "B": b, "C": c, "gone": gone}


@pytest.fixture
def city_round(tree, people):
    return services.open_round(
        AppraisalRound(name="2026 appraisal", year=2026, organization=tree["CITY"], publicity_days=5)
    )


def rate(api, appraisal_round, members, value="qualified"):
    return api.post(
        "/api/v1/appraisal-rounds/{}/ratings/".format(appraisal_round.pk),
        [{"member": m.pk, "rating": value} for m in members],
        format="json",
    )


def step(api, appraisal_round, action, code):
    return api.post(
        "/api/v1/appraisal-rounds/{}/{}/".format(appraisal_round.pk, action), {"organization": code}, format="json"
    )
