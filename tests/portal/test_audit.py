"""The audit trail: every change is recorded with who and when, and history cannot be edited."""

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.db.utils import DatabaseError
from pghistory.models import Events

from portal.models import RoleAssignment

pytestmark = pytest.mark.django_db


def test_api_change_is_recorded_with_user_before_and_after(api_as, users, tree):
    response = api_as("county_staff").patch("/api/v1/organizations/BRANCH_B/", {"name": "Renamed"}, format="json")
    assert response.status_code == 200
    event = Events.objects.tracks(tree["BRANCH_B"]).get(pgh_label="update")
    assert event.pgh_diff["name"] == ["Branch_B", "Renamed"]
    assert event.pgh_context["user"] == users["county_staff"].pk


def test_page_edit_is_recorded_and_shown_on_the_object_page(client_as, users, tree):
    client = client_as("county_staff")
    response = client.post(
        "/organizations/BRANCH_B/edit/",
        {"name": "Via page", "kind": "branch", "sector": "organ", "parent": tree["TOWN"].pk, "is_active": "on"},
    )
    assert response.status_code == 302, response.content[:500]
    page = client.get("/organizations/BRANCH_B/").content.decode()
    assert "Via page" in page and "county_staff" in page


def test_role_assignments_are_audited(users, tree):
    assignment = RoleAssignment.objects.create(user=users["reader"], role="reader", organization=tree["COUNTY2"])
    pk = assignment.pk
    assignment.delete()
    event_model = apps.get_model("portal", "RoleAssignmentEvent")
    labels = list(event_model.objects.filter(pgh_obj_id=pk).values_list("pgh_label", flat=True))
    assert sorted(labels) == ["delete", "insert"]


@pytest.mark.parametrize("statement", ["UPDATE {table} SET name = 'forged'", "DELETE FROM {table}"])
def test_history_tables_reject_update_and_delete(tree, statement):
    table = "members_organizationevent"
    with pytest.raises(DatabaseError):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement.format(table=table))
