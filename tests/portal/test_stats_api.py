"""The statistics API (API.md "Statistics", "Rollup runs"): scope, figures, as_of, query counts."""

import datetime

import pytest
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from members.models import Member, Organization
from portal.models import RollupRun, RollupStatusChoices
from portal.rollups import engine
from portal.scope import forget_scope
from tests.matrix import Case, MatrixTests, everyone
from tests.portal.test_rollups import make_member, run_now

MEMBERS = "/api/v1/stats/members/"
ORGANIZATIONS = "/api/v1/stats/organizations/"
ROLLUPS = "/api/v1/stats/rollups/"


def populate(tree):
    """Members: BRANCH_A 3 current (+1 who left), GROUP_A1 1, BRANCH_B 1, BRANCH_C 2."""
    rows = [
        make_member(tree["BRANCH_A"], 1, categories=["rural", "retired"]),
        make_member(tree["BRANCH_A"], 2, status="probationary", full_member_on=None, categories=["rural"]),
        make_member(tree["BRANCH_A"], 3, activity_status="abroad", is_pocket=True),
        make_member(tree["BRANCH_A"], 4, left_on=datetime.date(2024, 1, 1), exit_reason="death"),
        make_member(tree["GROUP_A1"], 5, categories=["student"]),
        make_member(tree["BRANCH_B"], 6, activity_status="lost_contact"),
        make_member(tree["BRANCH_C"], 7),
        make_member(tree["BRANCH_C"], 8, is_pocket=True),
    ]
    Member.objects.bulk_create(rows)


@pytest.fixture
def snapshot(tree, users):
    populate(tree)
    return run_now(today=datetime.date(2025, 6, 1))


class TestStatisticsMatrix(MatrixTests):
    model = RollupRun

    @pytest.fixture
    def world(self, snapshot, tree, users):
        world = {code: code for code in tree}
        world["run"] = snapshot.pk
        return world

    cases = [
        Case("GET", MEMBERS + "?org={COUNTY}", everyone(404, city_admin=200, county_staff=200, reader=200, anonymous=401)),
        Case("GET", MEMBERS + "?org={CITY}", everyone(404, city_admin=200, anonymous=401)),
        Case("GET", MEMBERS + "?org={COUNTY2}", everyone(404, city_admin=200, anonymous=401)),
        Case("GET", MEMBERS + "?org={BRANCH_A}", everyone(200, secretary_b=404, anonymous=401)),
        Case("GET", MEMBERS + "?org={GROUP_A1}", everyone(200, secretary_b=404, anonymous=401)),
        Case("GET", MEMBERS + "?org={BRANCH_B}", everyone(200, secretary_a=404, anonymous=401)),
        Case("GET", MEMBERS + "?org=NO_SUCH_ORG", everyone(404, anonymous=401)),
        Case("GET", MEMBERS, everyone(400, anonymous=401)),
        Case("GET", MEMBERS + "?org={COUNTY}&as_of=yesterday", everyone(400, anonymous=401)),
        Case("GET", ORGANIZATIONS + "?org={COUNTY}", everyone(404, city_admin=200, county_staff=200, reader=200, anonymous=401)),
        Case("GET", ORGANIZATIONS + "?org={COUNTY2}", everyone(404, city_admin=200, anonymous=401)),
        Case("GET", ORGANIZATIONS + "?org={BRANCH_A}", everyone(200, secretary_b=404, anonymous=401)),
        Case("POST", ROLLUPS, everyone(403, city_admin=202, county_staff=202, anonymous=401)),
        Case("GET", ROLLUPS + "{run}/", everyone(200, anonymous=401)),
        Case("GET", ROLLUPS + "latest/", everyone(200, anonymous=401)),
        Case("GET", ROLLUPS + "999999/", everyone(404, anonymous=401)),
        Case("PUT", ROLLUPS + "{run}/", everyone(405, anonymous=401, reader=403, secretary_a=403, secretary_b=403)),
        Case("DELETE", ROLLUPS + "{run}/", everyone(405, anonymous=401, reader=403, secretary_a=403, secretary_b=403)),
    ]


@pytest.mark.django_db
def test_member_figures_cover_current_members_of_the_subtree(snapshot, api_as):
    response = api_as("reader").get(MEMBERS, {"org": "COUNTY"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["organization"] == "COUNTY"
    assert body["run"] == snapshot.pk
    assert body["as_of"] == timezone.localtime(snapshot.started_at).isoformat()
    assert body["total"] == 5  # the member who left is not counted
    assert body["by_status"] == {"probationary": 1, "formal": 4}
    assert body["by_category"] == {
        "rural": 2, "leading_cadre": 0, "retired": 1, "mobile": 0,
        "laid_off": 0, "enterprise": 0, "community": 0, "student": 1,
    }
    assert body["by_activity_status"] == {"normal": 3, "sick_leave": 0, "lost_contact": 1, "abroad": 1}
    assert body["pocket"] == 1
    city = api_as("city_admin").get(MEMBERS, {"org": "CITY"}).json()
    assert city["total"] == 7 and city["pocket"] == 2


@pytest.mark.django_db
def test_organization_figures_of_the_subtree(snapshot, api_as):
    body = api_as("county_staff").get(ORGANIZATIONS, {"org": "COUNTY"}).json()
    assert body["total"] == 5
    assert body["by_kind"] == {"committee": 2, "working_committee": 0, "general_branch": 0, "branch": 2, "group": 1}
    assert body["term_overdue"] == 1  # BRANCH_A: 2018 + 3 years
    city = api_as("city_admin").get(ORGANIZATIONS, {"org": "CITY"}).json()
    assert city["total"] == 8 and city["term_overdue"] == 1  # CITY's term runs to 2026


@pytest.mark.django_db
def test_a_branch_without_members_reads_zeros(snapshot, api_as, tree):
    Organization.objects.create(code="EMPTY", name="Empty", kind="branch", sector="organ", parent=tree["TOWN"])
    run_now()
    body = api_as("county_staff").get(MEMBERS, {"org": "EMPTY"}).json()
    assert body["total"] == 0 and body["by_status"] == {"probationary": 0, "formal": 0}


@pytest.mark.django_db
def test_as_of_reads_the_newest_snapshot_on_or_before_that_day(snapshot, api_as, tree):
    january = timezone.make_aware(datetime.datetime(2025, 1, 15, 3, 0))
    RollupRun.objects.filter(pk=snapshot.pk).update(started_at=january)
    Member.objects.bulk_create([make_member(tree["BRANCH_B"], 9)])
    newer = run_now()
    client = api_as("reader")
    assert client.get(MEMBERS, {"org": "COUNTY"}).json()["run"] == newer.pk
    old = client.get(MEMBERS, {"org": "COUNTY", "as_of": "2025-01-31"}).json()
    assert old["run"] == snapshot.pk and old["total"] == 5
    assert client.get(MEMBERS, {"org": "COUNTY", "as_of": "2025-01-14"}).status_code == 404
    assert client.get(MEMBERS, {"org": "COUNTY"}).json()["total"] == 6


@pytest.mark.django_db
def test_no_snapshot_yet_is_404(tree, users, api_as):
    assert api_as("city_admin").get(MEMBERS, {"org": "CITY"}).status_code == 404
    assert api_as("city_admin").get(ROLLUPS + "latest/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["BRANCH_A", "COUNTY"])
def test_a_statistics_read_costs_the_same_few_queries_for_any_subtree(
    snapshot, api_as, users, code, django_assert_num_queries
):
    client = api_as("reader")
    for url in (MEMBERS, ORGANIZATIONS):
        forget_scope(users["reader"])  # as in a fresh request
        # 1 the reader's role assignments (scope), 2 the organization within scope with the
        # snapshot run and its row of figures (subqueries). No count over members, whatever the
        # subtree's size.
        with django_assert_num_queries(2):
            assert client.get(url, {"org": code}).status_code == 200


@pytest.mark.django_db
def test_a_reader_token_sees_its_subtree_only(snapshot, users):
    _instance, key = AuthToken.objects.create(users["reader"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + key)
    assert client.get(MEMBERS, {"org": "TOWN"}).status_code == 200
    assert client.get(MEMBERS, {"org": "COUNTY2"}).status_code == 404
    assert client.get(MEMBERS, {"org": "CITY"}).status_code == 404
    assert client.get(ORGANIZATIONS, {"org": "BRANCH_C"}).status_code == 404
    # A reader may not start runs, nor read personal data anywhere.
    assert client.post(ROLLUPS).status_code == 403
    assert client.get("/api/v1/organizations/").status_code in (403, 404)


@pytest.mark.django_db
def test_starting_a_run_answers_202_and_a_second_start_returns_the_same_run(tree, users, api_as, django_capture_on_commit_callbacks):
    client = api_as("county_staff")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = client.post(ROLLUPS)
    assert first.status_code == 202
    assert set(first.json()) == {"id", "status"} and first.json()["status"] == "queued"
    assert len(callbacks) == 1  # the task is queued only once the run's row is committed
    second = client.post(ROLLUPS)
    assert second.status_code == 202 and second.json()["id"] == first.json()["id"]
    engine.execute_run(first.json()["id"])
    detail = client.get("{}{}/".format(ROLLUPS, first.json()["id"])).json()
    assert detail["status"] == RollupStatusChoices.SUCCEEDED
    assert {"id", "status", "started_at", "finished_at", "error"} <= set(detail)
    assert client.get(ROLLUPS + "latest/").json()["id"] == first.json()["id"]


@pytest.mark.django_db
def test_the_endpoints_are_in_the_openapi_schema(users, api_as):
    schema = api_as("city_admin").get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for url in (MEMBERS, ORGANIZATIONS, ROLLUPS, ROLLUPS + "{id}/", ROLLUPS + "latest/"):
        assert url in paths, url
    members = paths[MEMBERS]["get"]
    assert {p["name"] for p in members["parameters"]} >= {"org", "as_of"}
    ref = members["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    properties = schema["components"]["schemas"][ref]["properties"]
    assert {"organization", "as_of", "run", "total", "by_status", "by_category", "by_activity_status", "pocket"} <= set(properties)
    assert "202" in paths[ROLLUPS]["post"]["responses"]
