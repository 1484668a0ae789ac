"""The download of the member, organization and transfer-letter lists (``?export=csv|xlsx``): the
list's own columns, readable (labels, organization codes beside names, the request's language),
following the page's filter, through the gate, masked per role."""

import datetime

import pytest
from django.utils import translation

from members.models import Member, TransferLetter
from members.tables import MemberTable, OrganizationTable, TransferLetterTable
from tests.bases.exports import ListExportTests, read_csv, read_xlsx
from tests.members.import_helpers import id_number, make_member

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture(autouse=True)
def _default_language_after():
    # A request in Chinese leaves Chinese active on the thread; tests after it run in the default again.
    yield
    translation.deactivate()


@pytest.fixture
def roster(tree):
    return {
        "a": make_member(
            tree["BRANCH_A"], name="Alice", id_number=id_number("19850505", "222"), phone="13900139000",
            status="formal", full_member_on=datetime.date(2021, 1, 1), categories=["rural", "mobile"], is_pocket=True,
        ),
        "group": make_member(tree["GROUP_A1"], name="Grace", id_number=id_number("19850505", "224"), phone=None),
        "b": make_member(tree["BRANCH_B"], name="Bob", id_number=id_number("19850505", "226")),
        "c": make_member(tree["BRANCH_C"], name="Carol", id_number=id_number("19850505", "228")),
        "formula": make_member(tree["BRANCH_B"], name=FORMULA, id_number=id_number("19850505", "230")),
    }


class TestMemberListExport(ListExportTests):
    list_url = "/members/"
    table_class = MemberTable
    model = Member
    key_column = "name"
    shows = {"secretary_a": ["Alice", "Grace"], "county_staff": ["Alice", "Grace", "Bob"], "city_admin": ["Carol"]}
    hides = {"secretary_a": ["Bob", "Carol"], "county_staff": ["Carol"], "secretary_b": ["Alice"]}
    filters = [({"status": "probationary"}, "secretary_a", ["Grace"]), ({"within": "COUNTY2"}, "city_admin", ["Carol"])]
    narrowed_actions = {"staff": {"view"}}
    hidden_values = {"county_staff": ["{alice_id_number}", "13900139000"]}
    formula_row = FORMULA

    @pytest.fixture
    def world(self, tree, users, roster):
        return {"alice_id_number": roster["a"].id_number}


class TestOrganizationListExport(ListExportTests):
    list_url = "/organizations/"
    table_class = OrganizationTable
    key_column = "code"
    shows = {"secretary_a": ["BRANCH_A", "GROUP_A1"], "county_staff": ["COUNTY", "TOWN", "BRANCH_B"]}
    hides = {"secretary_a": ["BRANCH_B", "CITY"], "county_staff": ["BRANCH_C", "COUNTY2"]}
    filters = [({"kind": "branch"}, "county_staff", ["BRANCH_A", "BRANCH_B"])]


class TestTransferLetterListExport(ListExportTests):
    list_url = "/transfers/"
    table_class = TransferLetterTable
    key_column = "member.name"
    shows = {"secretary_a": ["Alice"], "city_admin": ["Alice"]}
    hides = {"secretary_b": ["Alice"]}

    @pytest.fixture
    def world(self, tree, users, roster):
        TransferLetter.objects.create(
            member=roster["a"], to_organization=tree["BRANCH_C"], reason="Moved", issued_by=users["secretary_a"]
        )
        return {}


def test_values_are_readable_labels_with_codes_beside_names(client_as, roster):
    rows = read_csv(client_as("secretary_a").get("/members/", {"export": "csv"}))
    header, alice = rows[0], dict(zip(rows[0], rows[1]))
    assert header.index("Organization code") == header.index("Organization") - 1
    assert (alice["Organization code"], alice["Organization"]) == ("BRANCH_A", "Branch_A")
    assert (alice["Gender"], alice["Status"], alice["Pocket"]) == ("Female", "Formal", "Yes")
    assert alice["Categories"] == "Rural, Mobile (migrant)"
    # XLSX the same, typed: the ID number a text cell, not a rounded number.
    sheet = read_xlsx(client_as("secretary_a").get("/members/", {"export": "xlsx"}))
    xlsx_alice = dict(zip(sheet[0], sheet[1]))
    assert xlsx_alice["ID number"] == roster["a"].id_number and xlsx_alice["Status"] == "Formal"


def test_values_in_chinese(client_as, roster):
    with translation.override("zh-hans"):
        formal, female = str(dict(Member._meta.get_field("status").choices)["formal"]), "女"
        status_header = str(MemberTable.export_columns()[6].label)
    rows = read_csv(client_as("secretary_a").get("/members/", {"export": "csv"}, HTTP_ACCEPT_LANGUAGE="zh-hans"))
    alice = dict(zip(rows[0], rows[1]))
    assert status_header != "Status", "the catalogue has no Chinese for the list's headers"
    assert alice[status_header] in (formal, "正式党员")
    assert female in alice.values()


def test_the_download_follows_a_private_search(client_as, roster):
    """The member list keeps its search text in the session (a token in the URL): the download too."""
    client = client_as("city_admin")
    response = client.post("/members/", {"q": "Bob"})
    assert response.status_code == 302 and "Bob" not in response["Location"]
    page = client.get(response["Location"]).content.decode()
    link = page.split('id="list-export-csv" href="')[1].split('"')[0].replace("&amp;", "&")
    assert "search=" in link and "Bob" not in link
    rows = read_csv(client.get("/members/" + link))
    assert [row[0] for row in rows[1:]] == ["Bob"]


def test_the_download_reads_each_member_once(client_as, roster, django_assert_max_num_queries):
    for sequence in range(300, 340, 2):
        make_member(roster["a"].organization, id_number=id_number("19800101", str(sequence)))
    client = client_as("county_staff")
    client.get("/members/")  # the session and scope settle on a first request
    with django_assert_max_num_queries(12):
        rows = read_csv(client.get("/members/", {"export": "csv"}))
    assert len(rows) == 1 + 4 + 20  # the header, the county's four members, the twenty new ones
