"""Appraisal pages: the entry grid, workflow buttons, groups, objections, disposal list, XLSX report."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from appraisal import services
from appraisal.models import AppraisalRound, DisposalDecision, MutualEvaluationGroup, Objection, Participant, Rating
from tests.appraisal.conftest import make_member
from tests.bases.pages import DetailPageTests, EditPageTests, ListPageTests

pytestmark = pytest.mark.django_db


def test_entry_grid_lists_every_participant_with_radio_choices(client_as, city_round, people):
    response = client_as("secretary_a").get("/appraisal/{}/entry/BRANCH_A/".format(city_round.pk))
    assert response.status_code == 200
    html = response.content.decode()
    for member in people["A"]:
        assert 'name="rating-{}"'.format(member.pk) in html
        assert html.count('name="rating-{}"'.format(member.pk)) == 4
    assert "rating-{}".format(people["B"][0].pk) not in html
    assert "probationary" in html


def test_entry_grid_saves_all_at_once_and_submit_button_moves_them(client_as, city_round, people):
    client = client_as("secretary_a")
    data = {"rating-{}".format(m.pk): "qualified" for m in people["A"]}
    data["rating-{}".format(people["A"][0].pk)] = "outstanding"
    response = client.post("/appraisal/{}/entry/BRANCH_A/".format(city_round.pk), data)
    assert response.status_code == 302
    assert Rating.objects.filter(round=city_round).count() == 4
    response = client.post(
        "/appraisal/{}/workflow/".format(city_round.pk), {"action": "submit", "organization": "BRANCH_A"}
    )
    assert response.status_code == 302
    assert set(Rating.objects.values_list("status", flat=True)) == {"submitted"}


def test_entry_grid_refuses_another_branchs_member_and_saves_nothing(client_as, city_round, people):
    data = {"rating-{}".format(people["A"][0].pk): "qualified", "rating-{}".format(people["B"][0].pk): "qualified"}
    response = client_as("secretary_a").post("/appraisal/{}/entry/BRANCH_A/".format(city_round.pk), data)
    assert response.status_code == 400
    assert not Rating.objects.exists()


def test_secretary_cannot_open_another_branch(client_as, city_round, people):
    for page in ("entry", "groups"):
        assert client_as("secretary_a").get("/appraisal/{}/{}/BRANCH_B/".format(city_round.pk, page)).status_code == 404


def test_round_detail_shows_progress_and_approve_only_above(client_as, city_round, people, users):
    services.save_ratings(city_round, users["secretary_a"], [{"member": m.pk, "rating": "qualified"} for m in people["A"]])
    services.move_step(city_round, users["secretary_a"], people["A"][0].organization, "submit")
    services.move_step(city_round, users["secretary_a"], people["A"][0].organization, "publicize")
    staff_page = client_as("county_staff").get("/appraisal/{}/".format(city_round.pk)).content.decode()
    assert 'value="approve"' in staff_page and "pending-approvals" in staff_page
    secretary_page = client_as("secretary_a").get("/appraisal/{}/".format(city_round.pk)).content.decode()
    assert 'value="approve"' not in secretary_page
    # Approving through the page during publicity: refused with the reason, nothing approved.
    response = client_as("county_staff").post(
        "/appraisal/{}/workflow/".format(city_round.pk), {"action": "approve", "organization": "BRANCH_A"}, follow=True
    )
    assert "publicity period runs until" in response.content.decode()
    assert not Rating.objects.filter(status="approved").exists()


def test_groups_page_enforces_the_limit(client_as, city_round, tree):
    for index in range(8):
        member = make_member(tree["BRANCH_A"], name="Extra {}".format(index))
        services.add_participant(city_round, member, __import__("django.contrib.auth", fromlist=["get_user_model"]).get_user_model().objects.get(username="secretary_a"))
    client = client_as("secretary_a")
    url = "/appraisal/{}/groups/BRANCH_A/".format(city_round.pk)
    assert client.post(url, {"action": "create", "name": "Group 1"}).status_code == 302
    group = MutualEvaluationGroup.objects.get()
    participants = Participant.objects.filter(round=city_round, organization=tree["BRANCH_A"])
    assert participants.count() == 12
    everyone = {"action": "assign", **{"group-{}".format(p.pk): str(group.pk) for p in participants}}
    response = client.post(url, everyone)
    assert response.status_code == 400 and "more than 10" in response.content.decode()
    assert not Participant.objects.filter(group=group).exists()
    ten = {"action": "assign", **{"group-{}".format(p.pk): str(group.pk) for p in participants[:10]}}
    assert client.post(url, ten).status_code == 302
    assert Participant.objects.filter(group=group).count() == 10


def test_objections_page_records_and_resolves(client_as, city_round, people, users):
    # Submit needs every enrolled member of the branch rated.
    services.save_ratings(city_round, users["secretary_a"], [{"member": m.pk, "rating": "qualified"} for m in people["A"]])
    branch = people["A"][0].organization
    services.move_step(city_round, users["secretary_a"], branch, "submit")
    client = client_as("secretary_a")
    url = "/appraisal/{}/objections/".format(city_round.pk)
    # Not publicized yet: refused with a message, nothing recorded.
    client.post(url, {"action": "record", "member": people["A"][0].pk, "text": "Too early"})
    assert not Objection.objects.exists()
    services.move_step(city_round, users["secretary_a"], branch, "publicize")
    client.post(url, {"action": "record", "member": people["A"][0].pk, "text": "Absent from study"})
    objection = Objection.objects.get()
    assert client_as("secretary_b").post(url, {"action": "resolve", "objection": objection.pk, "resolution": "x"}).status_code == 404
    objection.refresh_from_db()
    assert not objection.is_resolved
    client.post(url, {"action": "resolve", "objection": objection.pk, "resolution": "Was on sick leave"})
    objection.refresh_from_db()
    assert objection.is_resolved


def test_disposal_pages(client_as, city_round, people, users):
    services.save_ratings(city_round, users["secretary_a"], [{"member": people["A"][0].pk, "rating": "unqualified"}])
    rating = Rating.objects.get()
    listing = client_as("secretary_a").get("/appraisal/disposals/").content.decode()
    assert "/appraisal/ratings/{}/disposal/".format(rating.pk) in listing
    assert client_as("secretary_b").get("/appraisal/ratings/{}/disposal/".format(rating.pk)).status_code == 404
    response = client_as("secretary_a").post(
        "/appraisal/ratings/{}/disposal/".format(rating.pk),
        {"kind": "limited_correction", "talk_held_on": "2026-03-01", "branch_meeting_on": "2026-03-10", "votes_for": "9",
         "votes_against": "0", "votes_abstaining": "1", "review_outcome": "pending"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    decision = DisposalDecision.objects.get()
    assert (decision.correction_months, decision.review_on) == (6, datetime.date(2026, 9, 10))
    due = client_as("secretary_a").get("/appraisal/disposals/").content.decode()
    assert people["A"][0].name in due


def test_report_xlsx_has_one_row_per_organization_and_totals(client_as, city_round, people, users):
    services.save_ratings(city_round, users["city_admin"], [
        {"member": people["A"][0].pk, "rating": "outstanding"},
        {"member": people["A"][1].pk, "rating": "qualified"},
        {"member": people["B"][0].pk, "rating": "unqualified"},
    ])
    DisposalDecision.objects.create(
        rating=Rating.objects.get(member=people["B"][0]), organization=people["B"][0].organization, kind="removal"
    )
    response = client_as("county_staff").get("/appraisal/{}/report.xlsx".format(city_round.pk))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [tuple(cell.value for cell in row) for row in sheet.iter_rows(min_row=4)]
    assert rows[0][:3] == ("Code", "Organization", "Members appraised")
    assert rows[0][3:] == ("Outstanding", "Qualified", "Basically qualified", "Unqualified",
                           "Limited-time correction", "Persuaded to withdraw", "Removal")
    assert rows[1] == ("BRANCH_A", "Branch_A", 2, 1, 1, 0, 0, 0, 0, 0)
    assert rows[2] == ("BRANCH_B", "Branch_B", 1, 0, 0, 0, 1, 0, 0, 1)
    assert rows[3][1:] == ("Total", 3, 1, 1, 0, 1, 0, 0, 1)
    # A secretary's report holds only their branch.
    response = client_as("secretary_a").get("/appraisal/{}/report.xlsx".format(city_round.pk))
    rows = [tuple(cell.value for cell in row) for row in load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=5)]
    assert [row[0] for row in rows] == ["BRANCH_A", None]


def test_report_headers_follow_the_users_language(client_as, city_round, people, users):
    client = client_as("county_staff")
    response = client.get("/appraisal/{}/report.xlsx".format(city_round.pk), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200


def test_round_list_and_create_page(client_as, tree, people):
    client = client_as("county_staff")
    response = client.post(
        "/appraisal/add/",
        {"name": "Town round", "year": "2026", "organization": tree["TOWN"].pk, "opens_on": "2026-01-01",
         "publicity_days": "7", "outstanding_warning_share": "0.2", "status": "open"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Participant.objects.count() == 6
    assert "Town round" in client.get("/appraisal/").content.decode()
    assert "Town round" in client_as("secretary_a").get("/appraisal/").content.decode()


def test_enrol_page_adds_later_joiners(client_as, city_round, tree):
    newcomer = make_member(tree["BRANCH_B"], name="Joined later")
    assert client_as("secretary_b").post("/appraisal/{}/enrol/".format(city_round.pk)).status_code == 403
    assert client_as("city_admin").post("/appraisal/{}/enrol/".format(city_round.pk)).status_code == 302
    assert Participant.objects.filter(round=city_round, member=newcomer).exists()


class TestRoundPages(ListPageTests, DetailPageTests, EditPageTests):
    """A round held by the city: everyone below it opens it; only the city administrator edits it."""

    model = AppraisalRound
    list_url = "/appraisal/"
    detail_url = "/appraisal/{round}/"
    edit_url = "/appraisal/{round}/edit/"
    list_status = {"city_admin": 200, "county_staff": 200, "secretary_a": 200, "reader": 403, "anonymous": 302}
    list_shows = {"secretary_a": ["2026 appraisal"], "county_staff": ["2026 appraisal"]}
    detail_status = {"city_admin": 200, "county_staff": 200, "secretary_a": 200, "reader": 403, "anonymous": 302}
    edit_status = {"city_admin": 200, "county_staff": 403, "secretary_a": 403, "reader": 403, "anonymous": 302}
    edit_refused = {"county_staff": 403, "secretary_a": 403, "reader": 403, "anonymous": 302}
    edit_payload = {"name": "Renamed", "year": "2026", "opens_on": "2026-01-01", "publicity_days": "7"}

    @pytest.fixture
    def world(self, city_round):
        return {"round": city_round.pk}
