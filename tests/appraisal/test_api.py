"""The appraisal API of API.md: rounds, bulk rating entry, the workflow, scope and query counts."""

import datetime

import pytest
from django.utils import timezone

from appraisal.models import AppraisalRound, Participant, Rating, Reopening, WorkflowStep
from portal.scope import forget_scope
from tests.appraisal.conftest import make_member, rate, step

pytestmark = pytest.mark.django_db


def test_opening_a_round_enrols_current_formal_and_probationary_members(api_as, people, tree):
    response = api_as("county_staff").post(
        "/api/v1/appraisal-rounds/", {"name": "County 2026", "year": 2026, "organization": "COUNTY"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["organization"] == "COUNTY" and body["participants"] == 6
    enrolled = Participant.objects.filter(round_id=body["id"])
    assert {p.member_id for p in enrolled} == {m.pk for m in people["A"] + people["B"]}
    assert enrolled.get(member=people["A"][3]).is_probationary
    assert enrolled.get(member=people["A"][0]).organization == tree["BRANCH_A"]


def test_round_create_refused(api_as, people):
    payload = {"name": "X", "year": 2026, "organization": "COUNTY"}
    assert api_as("secretary_a").post("/api/v1/appraisal-rounds/", payload, format="json").status_code == 403
    assert api_as("reader").post("/api/v1/appraisal-rounds/", payload, format="json").status_code == 403
    assert api_as("anonymous").post("/api/v1/appraisal-rounds/", payload, format="json").status_code == 401
    # COUNTY2 is outside the county's subtree: an unknown code to them.
    outside = dict(payload, organization="COUNTY2")
    assert api_as("county_staff").post("/api/v1/appraisal-rounds/", outside, format="json").status_code == 400
    assert not AppraisalRound.objects.exists()


def test_later_joiner_is_added(api_as, city_round, tree):
    newcomer = make_member(tree["BRANCH_A"], name="Newcomer")
    url = "/api/v1/appraisal-rounds/{}/participants/".format(city_round.pk)
    assert api_as("secretary_b").post(url, {"member": newcomer.pk}, format="json").status_code == 400
    assert api_as("secretary_a").post(url, {"member": newcomer.pk}, format="json").status_code == 201
    assert Participant.objects.filter(round=city_round, member=newcomer).exists()


def test_secretary_sees_the_covering_round_but_not_others(api_as, city_round, tree):
    other = AppraisalRound.objects.create(name="Other county", year=2026, organization=tree["COUNTY2"])
    ids = {row["id"] for row in api_as("secretary_a").get("/api/v1/appraisal-rounds/").json()["results"]}
    assert ids == {city_round.pk}
    assert api_as("secretary_a").get("/api/v1/appraisal-rounds/{}/".format(other.pk)).status_code == 404
    assert api_as("secretary_a").patch(
        "/api/v1/appraisal-rounds/{}/".format(city_round.pk), {"name": "Mine"}, format="json"
    ).status_code == 403


def test_bulk_entry_saves_all_rows_in_one_go(api_as, city_round, people, tree):
    api = api_as("secretary_a")
    rows = [{"member": m.pk, "rating": "qualified"} for m in people["A"]]
    rows[0]["rating"] = "outstanding"
    response = api.post("/api/v1/appraisal-rounds/{}/ratings/".format(city_round.pk), rows, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"saved": 4}
    assert Rating.objects.get(member=people["A"][0]).rating == "outstanding"
    assert set(Rating.objects.values_list("organization__code", flat=True)) == {"BRANCH_A"}
    # Sending it again is an update, not a second rating.
    rows[0]["rating"] = "qualified"
    assert api.post("/api/v1/appraisal-rounds/{}/ratings/".format(city_round.pk), rows, format="json").json() == {"saved": 4}
    assert Rating.objects.count() == 4


@pytest.mark.parametrize(
    "bad_row",
    [
        {"member": "PEOPLE_B", "rating": "qualified"},  # another branch's member
        {"member": "PEOPLE_C", "rating": "qualified"},
        {"member": "GONE", "rating": "qualified"},  # not a participant: left before the round
        {"member": 999999, "rating": "qualified"},
        {"member": "PEOPLE_A", "rating": "excellent"},
        {"member": "x", "rating": "qualified"},
        {"rating": "qualified"},
    ],
)
def test_any_bad_row_saves_nothing(api_as, city_round, people, bad_row):
    lookup = {"PEOPLE_B": people["B"][0].pk, "PEOPLE_C": people["C"][0].pk, "GONE": people["gone"].pk, "PEOPLE_A": people["A"][1].pk}
    bad_row = {key: lookup.get(value, value) for key, value in bad_row.items()}
    rows = [{"member": people["A"][0].pk, "rating": "qualified"}, bad_row]
    response = api_as("secretary_a").post("/api/v1/appraisal-rounds/{}/ratings/".format(city_round.pk), rows, format="json")
    assert response.status_code == 400, response.content
    assert not Rating.objects.exists()


def test_member_moved_later_keeps_the_rating_where_it_was_entered(api_as, city_round, people, tree):
    member = people["A"][0]
    assert rate(api_as("secretary_a"), city_round, [member]).status_code == 200
    member.organization = tree["BRANCH_B"]
    member.save()
    assert Rating.objects.get(member=member).organization == tree["BRANCH_A"]


def test_full_workflow_and_each_refused_step(api_as, city_round, people, tree):
    secretary, staff, admin = api_as("secretary_a"), api_as("county_staff"), api_as("city_admin")
    assert rate(secretary, city_round, people["A"]).status_code == 200
    # Nothing submitted yet: publicize and approve have nothing to move.
    assert step(secretary, city_round, "publicize", "BRANCH_A").status_code == 409
    assert step(staff, city_round, "approve", "BRANCH_A").status_code == 409
    # Submit: secretary B may not touch branch A (out of scope is 404); secretary A may.
    assert step(api_as("secretary_b"), city_round, "submit", "BRANCH_A").status_code == 404
    response = step(secretary, city_round, "submit", "BRANCH_A")
    assert response.status_code == 200, response.content
    assert response.json() == {"organization": "BRANCH_A", "moved": 4, "status": "submitted"}
    assert step(secretary, city_round, "submit", "BRANCH_A").status_code == 409
    # Publicize.
    assert step(secretary, city_round, "publicize", "BRANCH_A").status_code == 200
    assert set(Rating.objects.values_list("status", flat=True)) == {"publicized"}
    # Approve: the branch itself may not (same level), nor staff while the publicity runs.
    assert step(secretary, city_round, "approve", "BRANCH_A").status_code == 403
    blocked = step(staff, city_round, "approve", "BRANCH_A")
    assert blocked.status_code == 409
    assert "publicity period runs until" in blocked.json()["detail"]
    Rating.objects.update(publicized_on=timezone.localdate() - datetime.timedelta(days=5))
    response = step(staff, city_round, "approve", "BRANCH_A")
    assert response.status_code == 200, response.content
    assert set(Rating.objects.values_list("status", flat=True)) == {"approved"}
    assert list(WorkflowStep.objects.order_by("id").values_list("action", flat=True)) == ["submit", "publicize", "approve"]
    # Approved is final: a new entry answers 409 and changes nothing.
    assert rate(secretary, city_round, people["A"][:1], "outstanding").status_code == 409
    assert rate(admin, city_round, people["A"][:1], "outstanding").status_code == 409
    assert Rating.objects.get(member=people["A"][0]).rating == "qualified"
    # Reopening: city admin only, with a written reason.
    url = "/api/v1/appraisal-rounds/{}/reopen/".format(city_round.pk)
    assert staff.post(url, {"organization": "BRANCH_A", "reason": "wrong"}, format="json").status_code == 403
    assert admin.post(url, {"organization": "BRANCH_A", "reason": ""}, format="json").status_code == 400
    response = admin.post(url, {"organization": "BRANCH_A", "reason": "Counted twice"}, format="json")
    assert response.status_code == 200, response.content
    assert set(Rating.objects.values_list("status", flat=True)) == {"draft"}
    assert Reopening.objects.get().reason == "Counted twice"
    assert admin.post(url, {"organization": "BRANCH_A", "reason": "again"}, format="json").status_code == 409


def test_approval_needs_a_higher_organization(api_as, city_round, people, tree, users):
    staff = api_as("county_staff")
    assert rate(staff, city_round, people["A"] + people["B"]).status_code == 200
    for action in ("submit", "publicize"):
        assert step(staff, city_round, action, "TOWN").status_code == 200
    Rating.objects.update(publicized_on=datetime.date(2000, 1, 1))
    # County staff approving the county itself: same level.
    assert step(staff, city_round, "approve", "COUNTY").status_code == 403
    assert step(staff, city_round, "approve", "TOWN").status_code == 200


def test_objections_block_approval_until_resolved(api_as, city_round, people):
    secretary, staff = api_as("secretary_a"), api_as("county_staff")
    rate(secretary, city_round, people["A"])
    step(secretary, city_round, "submit", "BRANCH_A")
    step(secretary, city_round, "publicize", "BRANCH_A")
    from appraisal import services

    objection = services.record_objection(city_round, staff.handler._force_user, people["A"][0], "He was absent all year")
    Rating.objects.update(publicized_on=datetime.date(2000, 1, 1))
    response = step(staff, city_round, "approve", "BRANCH_A")
    assert response.status_code == 409 and "objection" in response.json()["detail"]
    services.resolve_objection(objection, staff.handler._force_user, "Checked: he was on sick leave")
    assert step(staff, city_round, "approve", "BRANCH_A").status_code == 200


def test_ratings_list_is_scoped_and_pinned(api_as, users, city_round, people, django_assert_num_queries):
    rate(api_as("city_admin"), city_round, people["A"] + people["B"] + people["C"])
    url = "/api/v1/ratings/?round={}".format(city_round.pk)
    rows = api_as("secretary_a").get(url).json()["results"]
    assert {row["member"] for row in rows} == {m.pk for m in people["A"]}
    assert set(rows[0]) >= {"id", "round", "member", "rating", "status"}
    assert rows[0]["round"] == city_round.pk and rows[0]["status"] == "draft"
    assert api_as("county_staff").get(url).json()["count"] == 6
    assert api_as("reader").get(url).status_code == 403
    client = api_as("county_staff")
    client.get(url)
    forget_scope(users["county_staff"])
    # 1 the caller's role assignments (scope), 2 the count, 3 the page of ratings with organizations.
    with django_assert_num_queries(3):
        assert client.get(url + "&page_size=1000").json()["count"] == 6


def test_rounds_list_query_count_does_not_grow(api_as, tree, people, django_assert_num_queries):
    for year in range(2020, 2026):
        AppraisalRound.objects.create(name="Round {}".format(year), year=year, organization=tree["CITY"])
    client = api_as("secretary_a")
    # 1 role assignments, 2 count, 3 the rounds with organization and participant counts.
    with django_assert_num_queries(3):
        assert client.get("/api/v1/appraisal-rounds/").json()["count"] == 6


def test_secretary_cannot_read_another_branchs_rating(api_as, city_round, people):
    rate(api_as("city_admin"), city_round, people["B"])
    rating = Rating.objects.first()
    assert api_as("secretary_a").get("/api/v1/ratings/{}/".format(rating.pk)).status_code == 404
    assert api_as("secretary_b").get("/api/v1/ratings/{}/".format(rating.pk)).status_code == 200


def test_a_closed_round_takes_no_ratings(api_as, city_round, people):
    city_round.status = "closed"
    city_round.save()
    assert rate(api_as("secretary_a"), city_round, people["A"]).status_code == 409
    assert not Rating.objects.exists()
