import datetime

import pytest
from django.core.exceptions import ValidationError

from members.models import Organization
from members.models.organizations import path_step

pytestmark = pytest.mark.django_db


def test_path_and_depth_follow_the_tree(tree):
    branch = tree["BRANCH_A"]
    assert branch.depth == 4
    assert branch.path == "".join(path_step(o.pk) for o in (tree["CITY"], tree["COUNTY"], tree["TOWN"], branch))
    assert [o.code for o in branch.ancestors()] == ["CITY", "COUNTY", "TOWN"]


def test_term_expiry_is_derived_by_the_database(tree):
    city = Organization.objects.get(code="CITY")
    assert city.term_expires_on == datetime.date(2026, 1, 1)
    city.term_years = 3
    city.save()
    city.refresh_from_db()
    assert city.term_expires_on == datetime.date(2024, 1, 1)


def test_term_overdue_lists_expired_active_organizations(tree):
    overdue = Organization.objects.term_overdue(datetime.date(2025, 6, 1))
    assert {o.code for o in overdue} == {"BRANCH_A"}
    assert {o.code for o in Organization.objects.term_overdue(datetime.date(2026, 6, 1))} == {"BRANCH_A", "CITY"}


def test_moving_an_organization_moves_its_subtree(tree):
    town = tree["TOWN"]
    town.parent = tree["COUNTY2"]
    town.save()
    moved = {o.code: o for o in Organization.objects.filter(code__in=["TOWN", "BRANCH_A", "GROUP_A1"])}
    county2 = Organization.objects.get(code="COUNTY2")
    assert all(o.path.startswith(county2.path) for o in moved.values())
    assert moved["GROUP_A1"].depth == 5
    assert set(county2.descendants().values_list("code", flat=True)) == {"TOWN", "BRANCH_A", "GROUP_A1", "BRANCH_B", "BRANCH_C"}
    assert not Organization.objects.get(code="COUNTY").descendants().exists()


def test_cannot_move_under_own_subtree(tree):
    county = tree["COUNTY"]
    county.parent = tree["BRANCH_A"]
    with pytest.raises(ValidationError):
        county.clean()
    with pytest.raises(ValidationError):
        county.save()


def test_deletion_blockers_name_children(tree):
    assert tree["TOWN"].deletion_blockers()
    assert tree["BRANCH_B"].deletion_blockers() == []
