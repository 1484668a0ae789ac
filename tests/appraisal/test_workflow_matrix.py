"""The ratings workflow as data (tests/bases/workflow.py): every step × role, and approved is final."""

import datetime

import pytest

from appraisal import services
from appraisal.models import AppraisalRound, Rating
from appraisal.workflows import RATINGS
from tests.appraisal.conftest import make_member
from tests.bases.workflow import StepCase, WorkflowTests, everyone

pytestmark = pytest.mark.django_db

LONG_AGO = datetime.date(2000, 1, 1)


class TestRatingSteps(WorkflowTests):
    """Branch A's ratings are drafts, branch B's publicized with the publicity over, branch C's approved."""

    workflow = RATINGS

    @pytest.fixture
    def world(self, tree, users):
        world = {code: code for code in tree}
        members = {code: [make_member(tree[code]) for _index in range(2)] for code in ("BRANCH_A", "BRANCH_B", "BRANCH_C")}
        city = services.open_round(AppraisalRound(name="City", year=2026, organization=tree["CITY"]))
        admin = users["city_admin"]
        services.save_ratings(
            city, admin, [{"member": m.pk, "rating": "qualified"} for group in members.values() for m in group]
        )
        for code in ("BRANCH_B", "BRANCH_C"):
            services.move_step(city, admin, tree[code], "submit")
            services.move_step(city, admin, tree[code], "publicize", today=LONG_AGO)
        services.move_step(city, admin, tree["BRANCH_C"], "approve")
        world.update(round=city.pk, rating_c=Rating.objects.get(member=members["BRANCH_C"][0]).pk)
        return world

    @pytest.fixture
    def final_row(self, world):
        return Rating.objects.get(pk=world["rating_c"])

    def perform(self, api, world, case):
        return api.post(
            "/api/v1/appraisal-rounds/{}/{}/".format(world["round"], case.transition),
            {"organization": case.target.format(**world), "reason": "Entered against the wrong member"},
            format="json",
        )

    steps = [
        # The branch (or anyone above it) submits and publicizes; the other branch's secretary
        # does not see branch A (404), a reader may change nothing (403).
        StepCase("submit", "{BRANCH_A}", everyone(200, secretary_b=404, reader=403, anonymous=401)),
        StepCase("publicize", "{BRANCH_A}", everyone(409, secretary_b=404, reader=403, anonymous=401)),
        StepCase("submit", "{BRANCH_B}", everyone(409, secretary_a=404, reader=403, anonymous=401)),
        # Approval only from a strictly higher organization: branch B's own secretary may not.
        StepCase("approve", "{BRANCH_B}", everyone(403, city_admin=200, county_staff=200, secretary_a=404, anonymous=401)),
        StepCase("approve", "{BRANCH_A}", everyone(403, city_admin=409, county_staff=409, secretary_b=404, anonymous=401)),
        # The county's staff approve below the county, never the county itself.
        StepCase("approve", "{COUNTY}", everyone(404, city_admin=200, county_staff=403, reader=403, anonymous=401)),
        # Sending back to draft: only from a strictly higher organization, never what is approved.
        StepCase("return", "{BRANCH_B}", everyone(403, city_admin=200, county_staff=200, secretary_a=404, anonymous=401)),
        StepCase("return", "{BRANCH_A}", everyone(403, city_admin=409, county_staff=409, secretary_b=404, anonymous=401)),
        StepCase("return", "{BRANCH_C}", everyone(404, city_admin=409, reader=403, anonymous=401)),
        # Approved is final: nothing moves it but the city administrator's reopening.
        StepCase("submit", "{BRANCH_C}", everyone(404, city_admin=409, reader=403, anonymous=401)),
    ]
