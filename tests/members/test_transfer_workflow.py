"""Transfers of organizational relations: issue, accept, return, expiry, scope."""

import datetime

import pytest

from members.models import Member, TransferLetter
from members.models.transfers import LETTERS
from members.tasks import expire_transfer_letters
from portal.audit import history_for
from tests.bases.workflow import StepCase, WorkflowTests, everyone

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


@pytest.fixture
def member_a(make_member):
    return make_member("BRANCH_A", name="Wang A")


def issue(api_as, role, member, **fields):
    payload = {"member": member.pk, "to_organization": "BRANCH_B", "reason": "Moved to the other street"}
    payload.update(fields)
    return api_as(role).post("/api/v1/transfers/", payload, format="json")


def test_issue_accept_moves_the_member_and_keeps_history(api_as, member_a):
    response = issue(api_as, "secretary_a", member_a, letter_number="ZZ-2025-001")
    assert response.status_code == 201, response.content
    letter = response.json()
    assert letter["status"] == "issued" and letter["from_organization"] == "BRANCH_A"
    assert letter["valid_until"] == (TODAY + datetime.timedelta(days=90)).isoformat()
    assert letter["issued_by"] == "secretary_a"

    # The member is in transit, visible on the list and detail.
    row = api_as("secretary_a").get("/api/v1/members/{}/".format(member_a.pk)).json()
    assert row["in_transit"] is True
    listed = api_as("secretary_a").get("/api/v1/members/?in_transit=true").json()["results"]
    assert [r["id"] for r in listed] == [member_a.pk]

    # The receiving secretary sees the letter, with the ID number masked (not yet their member).
    seen = api_as("secretary_b").get("/api/v1/transfers/{}/".format(letter["id"])).json()
    assert "*" in seen["member_id_number"] and seen["member_id_number"] != member_a.id_number

    # The issuing side may not accept on the receiving side's behalf.
    assert api_as("secretary_a").post("/api/v1/transfers/{}/accept/".format(letter["id"])).status_code == 403

    response = api_as("secretary_b").post("/api/v1/transfers/{}/accept/".format(letter["id"]), {"note": "welcome"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted" and response.json()["decided_by"] == "secretary_b"
    member_a.refresh_from_db()
    assert member_a.organization.code == "BRANCH_B" and member_a.is_current
    # History keeps where the member was.
    organizations = [event.pgh_data["organization_id"] for event in history_for(member_a)]
    assert organizations[0] != organizations[-1]
    # Now secretary B sees the member in full; secretary A no longer sees them at all.
    assert api_as("secretary_b").get("/api/v1/members/{}/".format(member_a.pk)).json()["id_number"] == member_a.id_number
    assert api_as("secretary_a").get("/api/v1/members/{}/".format(member_a.pk)).status_code == 404
    # A decided letter cannot be decided again.
    assert api_as("secretary_b").post("/api/v1/transfers/{}/return/".format(letter["id"])).status_code == 409


def test_return_keeps_the_member_where_they_were(api_as, member_a):
    letter = issue(api_as, "secretary_a", member_a).json()
    response = api_as("secretary_b").post(
        "/api/v1/transfers/{}/return/".format(letter["id"]), {"note": "Not our street"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "returned" and response.json()["decision_note"] == "Not our street"
    member_a.refresh_from_db()
    assert member_a.organization.code == "BRANCH_A"
    assert api_as("secretary_a").get("/api/v1/members/{}/".format(member_a.pk)).json()["in_transit"] is False
    # A new letter may be issued after a return.
    assert issue(api_as, "secretary_a", member_a, to_organization="BRANCH_C").status_code == 201


def test_one_open_letter_per_member(api_as, member_a):
    assert issue(api_as, "secretary_a", member_a).status_code == 201
    response = issue(api_as, "secretary_a", member_a, to_organization="BRANCH_C")
    assert response.status_code == 400 and "member" in response.json()
    assert TransferLetter.objects.count() == 1


def test_letter_validation(api_as, member_a):
    cases = [
        ({"to_organization": None, "external_destination": ""}, "to_organization"),
        ({"to_organization": "BRANCH_A"}, "to_organization"),
        ({"to_organization": "NOWHERE"}, "to_organization"),
        ({"external_destination": "Xiamen, Siming district"}, "external_destination"),  # both given
        ({"issued_on": "2025-05-01", "valid_until": "2025-04-01"}, "valid_until"),
        ({"reason": ""}, "reason"),
    ]
    for fields, field in cases:
        response = issue(api_as, "secretary_a", member_a, **fields)
        assert response.status_code == 400, (fields, response.content)
        assert field in response.json(), (fields, response.json())
    assert not TransferLetter.objects.exists()


def test_duplicate_letter_number_is_refused(api_as, member_a, make_member):
    assert issue(api_as, "secretary_a", member_a, letter_number="ZZ-1").status_code == 201
    other = make_member("BRANCH_A")
    response = issue(api_as, "secretary_a", other, letter_number="ZZ-1")
    assert response.status_code == 400 and "letter_number" in response.json()


def test_generated_letter_numbers_are_unique(api_as, member_a, make_member):
    first = issue(api_as, "secretary_a", member_a).json()["letter_number"]
    second = issue(api_as, "secretary_a", make_member("BRANCH_A")).json()["letter_number"]
    assert first and second and first != second


def test_external_destination_receipt_takes_the_member_off_the_roster(api_as, member_a):
    letter = issue(api_as, "secretary_a", member_a, to_organization=None, external_destination="Xiamen Siming committee").json()
    assert letter["to_organization"] is None
    # Nobody in the system receives it; the issuing side records the receipt.
    response = api_as("secretary_a").post("/api/v1/transfers/{}/accept/".format(letter["id"]))
    assert response.status_code == 200, response.content
    member_a.refresh_from_db()
    assert member_a.left_on == TODAY and member_a.exit_reason == "transfer_out"


def test_scope_secretary_cannot_see_issue_or_accept_for_another_branch(api_as, member_a, make_member):
    member_b = make_member("BRANCH_B")
    # Issuing for branch B's member: 404, nothing written.
    assert issue(api_as, "secretary_a", member_b, to_organization="BRANCH_C").status_code == 404
    assert not TransferLetter.objects.exists()
    # A letter between B and C is invisible to secretary A (404 on read and on accept).
    letter = issue(api_as, "secretary_b", member_b, to_organization="BRANCH_C").json()
    for method, url in (("get", "/api/v1/transfers/{}/"), ("post", "/api/v1/transfers/{}/accept/"), ("post", "/api/v1/transfers/{}/return/")):
        assert getattr(api_as("secretary_a"), method)(url.format(letter["id"])).status_code == 404
    assert letter["id"] not in {row["id"] for row in api_as("secretary_a").get("/api/v1/transfers/").json()["results"]}
    assert TransferLetter.objects.get(pk=letter["id"]).status == "issued"
    member_b.refresh_from_db()
    assert member_b.organization.code == "BRANCH_B"
    # Readers never see letters.
    assert api_as("reader").get("/api/v1/transfers/").status_code == 403
    # Letters are not edited or deleted.
    assert api_as("city_admin").delete("/api/v1/transfers/{}/".format(letter["id"])).status_code == 405
    assert api_as("city_admin").patch("/api/v1/transfers/{}/".format(letter["id"]), {"reason": "x"}, format="json").status_code == 405


def test_expiry_task_is_idempotent_and_accept_checks_validity(api_as, member_a, make_member):
    letter_id = issue(api_as, "secretary_a", member_a, issued_on="2025-01-01", valid_until="2025-02-01").json()["id"]
    fresh_id = issue(api_as, "secretary_a", make_member("BRANCH_A")).json()["id"]
    # Read before the task runs: already shown as expired, and the member is not in transit.
    assert api_as("secretary_b").get("/api/v1/transfers/{}/".format(letter_id)).json()["status"] == "expired"
    assert api_as("secretary_a").get("/api/v1/members/{}/".format(member_a.pk)).json()["in_transit"] is False
    # Accepting it is refused (409) and records the expiry.
    response = api_as("secretary_b").post("/api/v1/transfers/{}/accept/".format(letter_id))
    assert response.status_code == 409
    assert TransferLetter.objects.get(pk=letter_id).status == "expired"
    member_a.refresh_from_db()
    assert member_a.organization.code == "BRANCH_A"
    # The task finds nothing more to do; the valid letter stays issued.
    assert expire_transfer_letters.delay().get() == 0
    TransferLetter.objects.filter(pk=fresh_id).update(valid_until=TODAY - datetime.timedelta(days=1), issued_on=TODAY - datetime.timedelta(days=30))
    assert expire_transfer_letters.delay().get() == 1
    assert expire_transfer_letters.delay().get() == 0
    assert TransferLetter.objects.get(pk=fresh_id).status == "expired"
    # An expired letter no longer blocks a new one.
    assert issue(api_as, "secretary_a", member_a).status_code == 201


def test_transfer_filters(api_as, member_a, make_member):
    out_id = issue(api_as, "secretary_a", member_a).json()["id"]
    in_id = issue(api_as, "secretary_b", make_member("BRANCH_B"), to_organization="BRANCH_A").json()["id"]
    client = api_as("secretary_a")

    def listed(query):
        return {row["id"] for row in client.get("/api/v1/transfers/?" + query).json()["results"]}

    assert listed("") == {out_id, in_id}
    assert listed("direction=out") == {out_id}
    assert listed("direction=in") == {in_id}
    assert listed("status=issued") == {out_id, in_id}
    assert listed("status=accepted") == set()
    assert listed("within=BRANCH_A") == {out_id, in_id}


def test_member_in_transit_cannot_exit(api_as, member_a):
    issue(api_as, "secretary_a", member_a)
    response = api_as("secretary_a").post("/api/v1/members/{}/exit/".format(member_a.pk), {"reason": "death"}, format="json")
    assert response.status_code == 409
    member_a.refresh_from_db()
    assert member_a.is_current


def test_transfer_list_query_count_is_pinned(api_as, member_a, make_member, django_assert_num_queries):
    for index in range(5):
        issue(api_as, "secretary_a", make_member("BRANCH_A"))
    client = api_as("secretary_b")
    # 1 scope, 2 count, 3 the page (member, organizations and users joined); masking in Python.
    with django_assert_num_queries(3):
        response = client.get("/api/v1/transfers/")
    assert response.json()["count"] == 5


def test_expiry_runs_daily_from_the_database_schedule():
    from django_celery_beat.models import PeriodicTask

    from portal.celery import app

    task = PeriodicTask.objects.get(task="members.expire_transfer_letters")
    assert task.enabled and task.crontab.hour == "0"
    app.loader.import_default_modules()
    assert "members.expire_transfer_letters" in app.tasks


class TestLetterSteps(WorkflowTests):
    """A letter from branch A to branch B, still open, and one already returned: who may decide which."""

    workflow = LETTERS

    @pytest.fixture
    def world(self, tree, users, make_member):
        admin = users["city_admin"]
        open_letter = TransferLetter.objects.create(
            member=make_member("BRANCH_A"), to_organization=tree["BRANCH_B"], reason="Moved", issued_by=admin
        )
        returned = TransferLetter.objects.create(
            member=make_member("BRANCH_A"), to_organization=tree["BRANCH_B"], reason="Moved", issued_by=admin
        )
        returned.return_letter(admin, "Not ours")
        world = {code: code for code in tree}
        world.update(open=open_letter.pk, returned=returned.pk)
        return world

    def perform(self, api, world, case):
        path = "return" if case.transition == "return_letter" else case.transition
        return api.post("/api/v1/transfers/{}/{}/".format(case.target.format(**world), path), {}, format="json")

    steps = [
        # The receiving side accepts; the issuing side may not accept on its behalf.
        StepCase("accept", "{open}", everyone(200, secretary_a=403, reader=403, anonymous=401)),
        # Either side may send it back (the issuing side withdraws its letter).
        StepCase("return_letter", "{open}", everyone(200, reader=403, anonymous=401)),
        # A decided letter is decided once.
        StepCase("accept", "{returned}", everyone(409, secretary_a=403, reader=403, anonymous=401)),
    ]
