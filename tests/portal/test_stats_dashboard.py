"""The dashboard, the rollup runs page and the statistics reports (pages, not API)."""

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from portal.models import RollupRun
from tests.matrix import Case, MatrixTests, everyone
from tests.portal.test_rollups import run_now
from tests.portal.test_stats_api import snapshot  # noqa: F401  (the fixture: figures of a known world)


class TestDashboardMatrix(MatrixTests):
    model = RollupRun

    @pytest.fixture
    def world(self, snapshot, tree, users):
        return {code: code for code in tree}

    cases = [
        Case("GET", "/", everyone(200, anonymous=302), api=False),
        Case("GET", "/?org={COUNTY}", everyone(404, city_admin=200, county_staff=200, reader=200, anonymous=302), api=False),
        Case("GET", "/?org={COUNTY2}", everyone(404, city_admin=200, anonymous=302), api=False),
        Case("GET", "/?org={BRANCH_B}", everyone(200, secretary_a=404, anonymous=302), api=False),
        Case("GET", "/rollups/", everyone(200, anonymous=302), api=False),
        Case("POST", "/rollups/start/", everyone(403, city_admin=302, county_staff=302, anonymous=302), api=False),
        Case("GET", "/reports/figures.xlsx?org={COUNTY}&set=members",
             everyone(404, city_admin=200, county_staff=200, reader=200, anonymous=302), api=False),
        Case("GET", "/reports/figures.xlsx?org={COUNTY}&set=nothing", everyone(404, anonymous=302), api=False),
        Case("GET", "/dashboard/table.xlsx?org={COUNTY}&table=by_category",
             everyone(404, city_admin=200, county_staff=200, reader=200, anonymous=302), api=False),
        Case("GET", "/dashboard/table.xlsx?org={BRANCH_A}&table=trend", everyone(200, secretary_b=404, anonymous=302), api=False),
    ]


def figures(response):
    return {figure["name"]: figure for figure in response.context["key_figures"]}


@pytest.mark.django_db
def test_the_county_dashboard_shows_the_county_figures_with_links_to_the_lists(snapshot, client_as):
    response = client_as("county_staff").get("/")
    assert response.status_code == 200
    assert response.context["organization"].code == "COUNTY"
    shown = figures(response)
    assert shown["members"]["value"] == 5 and shown["organizations"]["value"] == 5
    assert shown["term_overdue"]["value"] == 1 and shown["pocket"]["value"] == 1
    assert shown["term_overdue"]["url"] == "/organizations/?within=COUNTY&term_overdue=true"
    assert shown["members"]["url"] == "/members/?within=COUNTY"
    assert shown["formal"]["url"] == "/members/?within=COUNTY&status=formal"
    assert shown["members"]["change"] is None  # no snapshot a month older
    data = response.context["chart_data"]
    assert dict(zip(data["by_status"]["labels"], data["by_status"]["values"])) == {"Probationary": 1, "Formal": 4}
    assert sum(data["by_category"]["values"]) == 4
    assert data["trend"]["values"] == [5]
    page = response.content.decode()
    assert 'id="chart-by_category"' in page and "chart.umd.min.js" in page
    assert "Your scope" in page  # the home page's scope card is kept
    assert [org.code for org in response.context["overdue"]["rows"]] == ["BRANCH_A"]


@pytest.mark.django_db
def test_the_change_is_measured_against_the_snapshot_a_month_older(snapshot, tree, client_as):
    RollupRun.objects.filter(pk=snapshot.pk).update(started_at=timezone.now() - datetime.timedelta(days=40))
    from members.models import Member
    from tests.portal.test_rollups import make_member

    Member.objects.bulk_create([make_member(tree["BRANCH_B"], 50), make_member(tree["BRANCH_B"], 51)])
    run_now()
    response = client_as("reader").get("/")
    shown = figures(response)
    assert shown["members"]["value"] == 7 and shown["members"]["change"] == 2
    assert shown["organizations"]["change"] == 0
    assert response.context["previous_run"] == snapshot
    assert response.context["chart_data"]["trend"]["values"] == [5, 7]


@pytest.mark.django_db
def test_a_secretary_sees_the_branch_and_no_run_button(snapshot, client_as):
    response = client_as("secretary_a").get("/")
    assert response.context["organization"].code == "BRANCH_A"
    assert figures(response)["members"]["value"] == 4  # BRANCH_A 3 current + GROUP_A1 1
    assert not response.context["may_start_rollup"]
    assert "rollup-start-form" not in response.content.decode()


@pytest.mark.django_db
def test_the_dashboard_before_any_run(tree, users, client_as):
    response = client_as("city_admin").get("/")
    assert response.status_code == 200
    assert response.context["run"] is None
    assert "No rollup has run yet" in response.content.decode()


@pytest.mark.django_db
def test_the_report_lists_the_organizations_one_level_below_with_the_total(snapshot, client_as):
    response = client_as("city_admin").get("/reports/figures.xlsx", {"org": "CITY", "set": "members"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:3] == ("Code", "Organization", "Members")
    assert "Status: Formal" in header and "Category: Rural" in header
    body = {row[0]: dict(zip(header, row)) for row in rows[1:]}
    assert set(body) == {"COUNTY", "COUNTY2", "CITY"}
    assert body["COUNTY"]["Members"] == 5 and body["COUNTY2"]["Members"] == 2 and body["CITY"]["Members"] == 7


@pytest.mark.django_db
def test_the_report_headers_follow_the_users_language(snapshot, client_as):
    client = client_as("city_admin")
    client.cookies["django_language"] = "zh-hans"
    response = client.get("/reports/figures.xlsx", {"org": "CITY", "set": "organizations"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    from django.utils import translation

    from members.rollups import ORGANIZATION_FIGURES

    with translation.override("zh-hans"):
        expected = [str(label) for _name, label in ORGANIZATION_FIGURES]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header = next(sheet.iter_rows(values_only=True))
    assert list(header[2:]) == expected


@pytest.mark.django_db
def test_a_chart_table_downloads_as_xlsx(snapshot, client_as):
    response = client_as("county_staff").get("/dashboard/table.xlsx", {"org": "COUNTY", "table": "by_status"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    assert rows == [("Item", "Count"), ("Probationary", 1), ("Formal", 4)]


@pytest.mark.django_db
def test_the_run_button_starts_one_run_and_the_runs_page_lists_it(tree, users, client_as, django_capture_on_commit_callbacks):
    client = client_as("county_staff")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/rollups/start/", {"next": "/?org=COUNTY"})
    assert response.status_code == 302 and response["Location"] == "/?org=COUNTY"
    assert len(callbacks) == 1
    run = RollupRun.objects.get()
    for elsewhere in ("https://elsewhere.example/", "//elsewhere.example/", "/\\elsewhere.example/"):
        again = client.post("/rollups/start/", {"next": elsewhere})
        assert again["Location"] == "/rollups/"  # never sent off the portal
    assert RollupRun.objects.count() == 1  # the run in progress is reported, not doubled
    page = client.get("/rollups/")
    assert page.status_code == 200
    assert list(page.context["object_list"]) == [run]
    assert "county_staff" in page.content.decode()




@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, home_card_counts, approves", [("county_staff", 1, 1), ("secretary_a", 1, 0), ("city_admin", 0, 1)]
)
def test_the_dashboard_costs_the_same_few_queries_for_any_scope(
    snapshot, client_as, role, home_card_counts, approves, django_assert_num_queries
):
    client = client_as(role)
    # 1 session, 2 user with their role assignments (scope), 3 role assignments of the scope card
    # and (home page, unchanged) one COUNT of the subtree per assigned organization, 4 the tops of
    # the user's statistics scope, 5 the snapshot run, 6 the run a month older (none here, so no
    # figures of it), 7 the organization's figures in the snapshot, 8 the trend over the
    # snapshots, 9 the run in progress, 10 the overdue organizations (first ten); the appraisal
    # app adds the ratings awaiting the user's approval (only for a user who approves somewhere)
    # and 11 the newest round concerning the organization (no round here, so no figures of it).
    # None of them counts members: a city's dashboard costs what a branch's does.
    with django_assert_num_queries(11 + home_card_counts + approves):
        assert client.get("/").status_code == 200
