"""The world every test is written against (DESIGN.md house style 10).

A small tree with two counties, and one user per role:

    CITY (committee)                               city_admin
    ├── COUNTY (committee)                          county_staff (staff), reader (reader)
    │   └── TOWN (committee, township)
    │       ├── BRANCH_A (branch) └── GROUP_A1       secretary_a (secretary)
    │       └── BRANCH_B (branch)                    secretary_b (secretary)
    └── COUNTY2 (committee)
        └── BRANCH_C (branch)
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from members.models import Organization
from portal.models import RoleAssignment

ROLES = ("city_admin", "county_staff", "secretary_a", "secretary_b", "reader", "anonymous")


def make_org(code, kind, parent=None, sector="organ", **extra):
    return Organization.objects.create(code=code, name=code.title(), kind=kind, sector=sector, parent=parent, **extra)


@pytest.fixture
def tree(db):
    city = make_org("CITY", "committee", term_started_on=datetime.date(2021, 1, 1), term_years=5)
    county = make_org("COUNTY", "committee", city)
    town = make_org("TOWN", "committee", county, sector="community")
    branch_a = make_org("BRANCH_A", "branch", town, term_started_on=datetime.date(2018, 1, 1), term_years=3)
    group_a1 = make_org("GROUP_A1", "group", branch_a)
    branch_b = make_org("BRANCH_B", "branch", town)
    county2 = make_org("COUNTY2", "committee", city)
    branch_c = make_org("BRANCH_C", "branch", county2, sector="enterprise")
    return {
        "CITY": city,
        "COUNTY": county,
        "TOWN": town,
        "BRANCH_A": branch_a,
        "GROUP_A1": group_a1,
        "BRANCH_B": branch_b,
        "COUNTY2": county2,
        "BRANCH_C": branch_c,
    }


def make_user(username, role=None, organization=None):
    user = get_user_model().objects.create_user(username=username, password="pw-" + username)
    if role:
        RoleAssignment.objects.create(user=user, role=role, organization=organization)
    return user


@pytest.fixture
def users(tree):
    return {
        "city_admin": make_user("city_admin", "city_admin"),
        "county_staff": make_user("county_staff", "staff", tree["COUNTY"]),
        "secretary_a": make_user("secretary_a", "secretary", tree["BRANCH_A"]),
        "secretary_b": make_user("secretary_b", "secretary", tree["BRANCH_B"]),
        "reader": make_user("reader", "reader", tree["COUNTY"]),
        "anonymous": None,
    }


@pytest.fixture
def api_as(users):
    """``api_as("county_staff")``: an API client logged in as that role (session auth, CSRF off)."""

    def client_for(role):
        client = APIClient()
        if users[role] is not None:
            client.force_authenticate(users[role])
        return client

    return client_for


@pytest.fixture
def client_as(users, client):
    """``client_as("secretary_a")``: a page client logged in as that role."""
    from django.test import Client

    def client_for(role):
        page_client = Client()
        if users[role] is not None:
            # The backend a real login through the form records (the lockout backend never
            # authenticates): it loads the user's role assignments with the user.
            page_client.force_login(users[role], backend="portal.backends.ScopedModelBackend")
        return page_client

    return client_for


def pytest_generate_tests(metafunc):
    """Expands ``MatrixTests.cases`` into one test per (case, role) (see tests/matrix.py)."""
    if "matrix_case" in metafunc.fixturenames and metafunc.cls is not None:
        params, ids = [], []
        for case in metafunc.cls.cases:
            for role, status in case.expanded():
                params.append((case, role, status))
                ids.append("{}-{}-{}".format(case.method, case.url, role))
        metafunc.parametrize("matrix_case", params, ids=ids)


def valid_id_number(birth="19900101", sequence="123", region="350102"):
    """A valid GB 11643 resident ID number (odd ``sequence`` = male, even = female)."""
    from members.validators import id_number_check_character

    first17 = region + birth + sequence
    return first17 + id_number_check_character(first17)


@pytest.fixture
def make_member(tree):
    """``make_member("BRANCH_A", name=...)``: a valid formal member saved in that organization.

    Each call gets its own ID number (the sequence code counts up; odd = male)."""
    from members.models import Member

    counter = {"n": 0}

    def create(org_code="BRANCH_A", **fields):
        counter["n"] += 1
        gender = fields.pop("gender", "male")
        sequence = 2 * counter["n"] + (1 if gender == "male" else 0)
        values = {
            "name": "Member {}".format(counter["n"]),
            "gender": gender,
            "birth_date": datetime.date(1990, 1, 1),
            "id_number": valid_id_number("19900101", "{:03d}".format(sequence)),
            "phone": "1380013{:04d}".format(counter["n"]),
            "organization": tree[org_code],
            "status": "formal",
            "joined_on": datetime.date(2015, 7, 1),
            "full_member_on": datetime.date(2016, 7, 1),
        }
        values.update(fields)
        return Member.objects.create(**values)

    return create
