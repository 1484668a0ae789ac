"""The demo data (``manage.py load_demo``): the seed report's sizes, valid documents, idempotence.

The full load runs in CI through ``make run``; here the member generators are checked in full
without the database, and the database load with a slice of the members (to stay fast).
"""

import datetime
import io
import itertools
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from members import demo
from members.models import Member, Organization
from members.validators import id_number_birth_date, id_number_gender, validate_credit_code, validate_id_number
from portal import demo as portal_demo
from portal.models import RoleAssignment

TODAY = datetime.date(2026, 11, 26)


@pytest.fixture(scope="module")
def specs():
    zhangzhou = demo.zhangzhou_organizations(TODAY)
    quanzhou, quanzhou_branches = demo.quanzhou_organizations(TODAY)
    fuzhou, fuzhou_member_orgs = demo.fuzhou_organizations(TODAY)
    return zhangzhou, quanzhou, quanzhou_branches, fuzhou, fuzhou_member_orgs


def overdue(spec):
    return spec.term_started_on is not None and spec.term_started_on.replace(
        year=spec.term_started_on.year + spec.term_years
    ) < TODAY


def test_zhangzhou_direct_organs_have_the_seed_sizes(specs):
    zhangzhou = specs[0]
    below = [s for s in zhangzhou if s.code.startswith("ZZ-JG-")]
    assert Counter(s.kind for s in below) == {"committee": 66, "general_branch": 34, "branch": 555}
    assert sum(overdue(s) for s in below) == demo.ZHANGZHOU_OVERDUE == 42
    assert all(s.sector == "organ" for s in below)


def test_quanzhou_has_1739_enterprise_organizations_under_real_counties(specs):
    quanzhou = specs[1]
    enterprise = [s for s in quanzhou if s.sector == "enterprise"]
    assert len(enterprise) == 1739
    counties = {s.code: s.name for s in quanzhou if s.parent == "QZ"}
    assert counties["QZ-350582"] == "中共晋江市委员会" and counties["QZ-350502"] == "中共泉州市鲤城区委员会"
    assert len(counties) == 11
    assert sum(s.code.endswith("-QW") for s in enterprise) == 56  # township enterprise committees
    for spec in enterprise:
        for name, credit_code in spec.enterprises:
            validate_credit_code(credit_code)


def test_fuzhou_has_5_districts_33_streets_285_communities(specs):
    fuzhou = specs[3]
    assert sum(s.parent == "FZ" for s in fuzhou) == 5
    streets = [s for s in fuzhou if s.kind == "working_committee"]
    assert len(streets) == 33
    street_codes = {s.code for s in streets}
    assert sum(s.parent in street_codes for s in fuzhou) == 285


def test_codes_are_unique_and_parents_come_first(specs):
    seen = set()
    for spec in specs[0] + specs[1] + specs[3]:
        assert spec.code not in seen
        assert spec.parent is None or spec.parent in seen
        seen.add(spec.code)


def test_members_have_the_seed_sizes_and_valid_documents(specs):
    zhangzhou, _, quanzhou_branches, _, fuzhou_member_orgs = specs
    ids = {spec.code: number for number, spec in enumerate(specs[0] + specs[1] + specs[3], start=1)}
    factory = demo.MemberFactory(demo.SEED + 10, TODAY)
    zz = list(demo.zhangzhou_members(factory, zhangzhou, ids))
    qz = list(demo.quanzhou_members(factory, quanzhou_branches, ids))
    fz = list(demo.fuzhou_members(factory, fuzhou_member_orgs, ids))
    assert len(zz) == 9343 and sum(m["status"] == "formal" for m in zz) == 9208
    assert len(qz) == 18813 and all(m["enterprise"] for m in qz)
    assert len(fz) == demo.FUZHOU_MEMBERS
    everyone = zz + qz + fz
    assert len({m["id_number"] for m in everyone}) == len(everyone)
    for member in everyone:
        validate_id_number(member["id_number"])
        assert id_number_birth_date(member["id_number"]) == member["birth_date"]
        assert id_number_gender(member["id_number"]) == member["gender"]
        assert (member["status"] == "formal") == (member["full_member_on"] is not None)
    assert sum(m["is_pocket"] for m in everyone) > 100
    assert sum(m["activity_status"] == "lost_contact" for m in everyone) > 100


def test_every_role_has_a_demo_user_registered_for_make_run():
    registered = {entry[0]: entry for entry in portal_demo.DEMO_USERS}
    roles = Counter(registered[user[0]][2] for user in demo.DEMO_USERS)
    assert roles == {"city_admin": 1, "staff": 3, "secretary": 2, "reader": 1}


@pytest.fixture
def small_demo(monkeypatch):
    """The real load, with the first members of each city only."""
    for name, count in [("zhangzhou_members", 300), ("quanzhou_members", 300), ("fuzhou_members", 300)]:
        generator = getattr(demo, name)
        monkeypatch.setattr(demo, name, lambda *args, _g=generator, _n=count: itertools.islice(_g(*args), _n))


@pytest.mark.django_db(transaction=True)
def test_load_is_idempotent_and_the_demo_logins_work(small_demo, client):
    output = io.StringIO()
    demo.load(output)
    assert "3312 created" in output.getvalue()
    counts = (Organization.objects.count(), Member.objects.count(), RoleAssignment.objects.count())
    assert counts[1] == 900
    names = dict(Organization.objects.values_list("code", "name"))

    again = io.StringIO()
    demo.load(again)
    assert "organizations: 0 created" in again.getvalue() and "members: 0 created" in again.getvalue()
    assert (Organization.objects.count(), Member.objects.count(), RoleAssignment.objects.count()) == counts
    assert dict(Organization.objects.values_list("code", "name")) == names

    # The tree hangs together: paths follow parents, and the overdue list is Zhangzhou's 42.
    organs = Organization.objects.get(code="ZZ-JG")
    assert Organization.objects.within(organs).exclude(pk=organs.pk).term_overdue().count() == 42
    branch_a = Organization.objects.get(code="ZZ-JG-C01-B01")
    branch_b = Organization.objects.get(code="ZZ-JG-C01-B02")
    assert branch_a.parent_id == branch_b.parent_id
    assert branch_a.path.startswith(branch_a.parent.path)
    for member in Member.objects.all()[:200]:
        member.clean()

    for username, password, role, code, _ in demo.DEMO_USERS:
        response = client.post("/login/", {"username": username, "password": password})
        assert response.status_code == 302, username
        client.post("/logout/")
    assert get_user_model().objects.get(username="admin").is_superuser


@pytest.mark.django_db(transaction=True)
def test_load_demo_once_does_nothing_the_second_time(small_demo, monkeypatch):
    # Only this app's step: the other apps' steps have tests of their own.
    steps = [step for step in portal_demo.demo_steps() if step.function is demo.load]
    monkeypatch.setattr(portal_demo, "demo_steps", lambda: steps)
    call_command("load_demo", "--once", stdout=io.StringIO())
    members = Member.objects.count()
    output = io.StringIO()
    call_command("load_demo", "--once", stdout=output)
    assert "already loaded" in output.getvalue()
    assert Member.objects.count() == members


@pytest.mark.django_db(transaction=True)
def test_a_failing_step_leaves_no_half_loaded_demo(small_demo, monkeypatch):
    def broken(stdout):
        raise RuntimeError("a later app's step fails")

    steps = [step for step in portal_demo.demo_steps() if step.function is demo.load]
    steps.append(portal_demo.DemoStep("broken", broken, 900))
    monkeypatch.setattr(portal_demo, "demo_steps", lambda: steps)
    with pytest.raises(RuntimeError):
        call_command("load_demo", "--once", stdout=io.StringIO())
    # Nothing was kept, so the next `make run` loads the demo again instead of skipping it.
    assert not Organization.objects.exists() and not Member.objects.exists()
    assert not RoleAssignment.objects.exists()
