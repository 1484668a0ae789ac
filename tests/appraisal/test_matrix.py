"""Permission matrix of the appraisal endpoints and pages (tests/matrix.py): role → status, refused writes change nothing."""

import datetime

import pytest

from appraisal import services
from appraisal.models import AppraisalRound, Rating
from portal.models import RollupRun
from portal.rollups import engine
from tests.appraisal.conftest import make_member
from tests.matrix import Case, MatrixTests, everyone

ROUNDS = "/api/v1/appraisal-rounds/"


class TestAppraisalMatrix(MatrixTests):
    model = Rating

    @pytest.fixture
    def world(self, tree, users):
        world = {code: code for code in tree}
        a = [make_member(tree["BRANCH_A"]) for _index in range(2)]
        b = [make_member(tree["BRANCH_B"]) for _index in range(2)]
        city = services.open_round(AppraisalRound(name="City", year=2026, organization=tree["CITY"]))
        other = services.open_round(AppraisalRound(name="County 2", year=2026, organization=tree["COUNTY2"]))
        services.save_ratings(city, users["city_admin"], [{"member": m.pk, "rating": "qualified"} for m in a + b])
        # Branch B's ratings are publicized and their publicity is over: ready for approval.
        services.move_step(city, users["city_admin"], tree["BRANCH_B"], "submit")
        services.move_step(city, users["city_admin"], tree["BRANCH_B"], "publicize", today=datetime.date(2000, 1, 1))
        run = RollupRun.objects.create()
        engine.execute_run(run.pk)
        world.update(
            round=city.pk,
            other=other.pk,
            rating_a=Rating.objects.filter(member=a[0]).get().pk,
            rating_b=Rating.objects.filter(member=b[0]).get().pk,
            member_a=a[0].pk,
        )
        return world

    cases = [
        # Rounds.
        Case("GET", ROUNDS, everyone(200, reader=403, anonymous=401)),
        Case("GET", ROUNDS + "{round}/", everyone(200, reader=403, anonymous=401)),
        Case("GET", ROUNDS + "{other}/", everyone(404, city_admin=200, reader=403, anonymous=401)),
        Case(
            "POST",
            ROUNDS,
            everyone(403, city_admin=201, county_staff=201, anonymous=401),
            data={"name": "Town", "year": 2026, "organization": "{TOWN}"},
        ),
        Case("PATCH", ROUNDS + "{round}/", everyone(403, city_admin=200, county_staff=403, anonymous=401), data={"name": "X"}),
        # Workflow: submit branch A (draft), approve branch B (publicized), approve the county
        # (its own staff: same level, 403; the city administrator approves what is publicized below it).
        Case(
            "POST",
            ROUNDS + "{round}/submit/",
            everyone(200, secretary_b=404, reader=403, anonymous=401),
            data={"organization": "{BRANCH_A}"},
        ),
        Case(
            "POST",
            ROUNDS + "{round}/approve/",
            everyone(403, city_admin=200, county_staff=200, secretary_a=404, anonymous=401),
            data={"organization": "{BRANCH_B}"},
        ),
        Case(
            "POST",
            ROUNDS + "{round}/approve/",
            everyone(404, city_admin=200, county_staff=403, reader=403, anonymous=401),
            data={"organization": "{COUNTY}"},
        ),
        Case(
            "POST",
            ROUNDS + "{round}/publicize/",
            everyone(409, secretary_a=404, reader=403, anonymous=401),
            data={"organization": "{BRANCH_B}"},
        ),
        Case(
            "POST",
            ROUNDS + "{round}/reopen/",
            everyone(403, city_admin=409, secretary_a=404, anonymous=401),
            data={"organization": "{BRANCH_B}", "reason": "x"},
        ),
        Case(
            "POST",
            ROUNDS + "{other}/submit/",
            everyone(404, city_admin=409, reader=403, anonymous=401),
            data={"organization": "{BRANCH_C}"},
        ),
        # Ratings.
        Case("GET", "/api/v1/ratings/?round={round}", everyone(200, reader=403, anonymous=401)),
        Case("GET", "/api/v1/ratings/{rating_a}/", everyone(200, secretary_b=404, reader=403, anonymous=401)),
        Case("GET", "/api/v1/ratings/{rating_b}/", everyone(200, secretary_a=404, reader=403, anonymous=401)),
        Case("DELETE", "/api/v1/ratings/{rating_a}/", everyone(405, reader=403, anonymous=401)),
        # Statistics.
        Case("GET", "/api/v1/stats/appraisal/?round={round}&org={COUNTY}", everyone(404, city_admin=200, county_staff=200, reader=200, anonymous=401)),
        Case("GET", "/api/v1/stats/appraisal/?round={round}&org={BRANCH_A}", everyone(200, secretary_b=404, anonymous=401)),
        # Pages.
        Case("GET", "/appraisal/", everyone(200, reader=403, anonymous=302), api=False),
        Case("GET", "/appraisal/{round}/", everyone(200, reader=403, anonymous=302), api=False),
        Case("GET", "/appraisal/{other}/", everyone(404, city_admin=200, reader=403, anonymous=302), api=False),
        Case("GET", "/appraisal/{round}/entry/{BRANCH_A}/", everyone(200, secretary_b=404, reader=403, anonymous=302), api=False),
        Case("GET", "/appraisal/{round}/groups/{BRANCH_B}/", everyone(200, secretary_a=404, reader=403, anonymous=302), api=False),
        Case("GET", "/appraisal/{round}/objections/", everyone(200, reader=403, anonymous=302), api=False),
        Case("GET", "/appraisal/{round}/report.xlsx", everyone(200, reader=403, anonymous=302), api=False),
        Case("GET", "/appraisal/disposals/", everyone(200, reader=403, anonymous=302), api=False),
        Case("GET", "/appraisal/{round}/edit/", everyone(403, city_admin=200, anonymous=302), api=False),
        Case(
            "POST",
            "/appraisal/{round}/edit/",
            everyone(403, city_admin=400, anonymous=302),
            data={"name": ""},
            api=False,
        ),
        Case("GET", "/appraisal/add/", everyone(403, city_admin=200, county_staff=200, anonymous=302), api=False),
        Case("GET", "/appraisal/ratings/{rating_a}/disposal/", everyone(200, secretary_b=404, reader=403, anonymous=302), api=False),
        Case(
            "POST",
            "/appraisal/{round}/workflow/",
            everyone(302, secretary_a=404, secretary_b=403, reader=403, anonymous=302),
            data={"action": "approve", "organization": "{BRANCH_B}"},
            api=False,
        ),
    ]
