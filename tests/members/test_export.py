"""Member export (GET /api/v1/members/export/ and the page link) and the generic streamed exporter."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from members.io.rules import COLUMNS
from members.models import Member, Organization
from portal.export import ExportColumn, export_response
from portal.scope import forget_scope
from tests.matrix import Case, MatrixTests
from tests.members.import_helpers import credit_code, id_number, make_member, upload

URL = "/api/v1/members/export/"
PAGE = "/members/export/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def roster(tree):
    return {
        "a": make_member(
            tree["BRANCH_A"], name="Alice", id_number=id_number("19850505", "222"), phone="13900139000",
            status="formal", full_member_on=datetime.date(2021, 1, 1), categories=["rural", "mobile"],
            enterprise=credit_code(), is_pocket=True,
        ),
        "group": make_member(tree["GROUP_A1"], name="Grace", id_number=id_number("19850505", "224"), phone=None),
        "b": make_member(tree["BRANCH_B"], name="Bob", id_number=id_number("19850505", "226")),
        "c": make_member(tree["BRANCH_C"], name="Carol", id_number=id_number("19850505", "228")),
    }


def content_of(response):
    if isinstance(response, StreamingHttpResponse) or getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    data = content_of(response)
    assert data.startswith(b"\xef\xbb\xbf"), "Chinese Excel needs the BOM to read UTF-8"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def xlsx_rows(response):
    from openpyxl import load_workbook

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(content_of(response)), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def test_csv_has_the_import_columns_and_full_values_for_staff(api_as, roster):
    rows = csv_rows(api_as("county_staff").get(URL, {"format": "csv"}))
    assert [row["name"] for row in rows] == ["Alice", "Grace", "Bob"]  # tree order; BRANCH_C is outside the county
    alice = rows[0]
    assert list(alice) == ["id"] + list(COLUMNS)
    assert alice["id_number"] == roster["a"].id_number and alice["phone"] == "13900139000"
    assert (alice["organization"], alice["categories"], alice["is_pocket"], alice["full_member_on"]) == (
        "BRANCH_A", "rural;mobile", "true", "2021-01-01",
    )
    assert alice["enterprise"] == credit_code()
    assert rows[1]["phone"] == ""


def test_secretary_exports_only_their_branch(api_as, roster):
    rows = csv_rows(api_as("secretary_a").get(URL))
    assert [row["name"] for row in rows] == ["Alice", "Grace"]
    assert rows[0]["id_number"] == roster["a"].id_number  # their own branch: full values


def test_masked_without_personal_data_rights(api_as, roster, monkeypatch):
    # A role that may list members but not see their personal data (staff here, for the test).
    monkeypatch.setitem(Member.scope_actions, "staff", {"view", "add", "change", "delete"})
    rows = csv_rows(api_as("county_staff").get(URL))
    alice = rows[0]
    assert alice["id_number"] != roster["a"].id_number
    assert alice["id_number"].startswith(roster["a"].id_number[:3]) and "*" in alice["id_number"]
    assert alice["id_number"].endswith(roster["a"].id_number[-4:])
    assert alice["phone"] == "139****9000"
    assert roster["a"].id_number.encode() not in content_of(api_as("county_staff").get(URL))
    # The secretary keeps full values for their own branch.
    assert csv_rows(api_as("secretary_a").get(URL))[0]["id_number"] == roster["a"].id_number


def test_xlsx_content_and_masking(api_as, roster, monkeypatch):
    rows = xlsx_rows(api_as("city_admin").get(URL, {"format": "xlsx"}))
    assert [row["name"] for row in rows] == ["Alice", "Grace", "Bob", "Carol"]
    assert rows[0]["id_number"] == roster["a"].id_number  # text, not a rounded number
    assert rows[0]["categories"] == "rural;mobile" and rows[0]["is_pocket"] is True
    monkeypatch.setitem(Member.scope_actions, "staff", {"view"})
    rows = xlsx_rows(api_as("county_staff").get(URL, {"format": "xlsx"}))
    assert all("*" in row["id_number"] for row in rows)


def test_filters_apply(api_as, roster):
    assert [row["name"] for row in csv_rows(api_as("city_admin").get(URL, {"status": "formal"}))] == ["Alice"]
    assert [row["name"] for row in csv_rows(api_as("city_admin").get(URL, {"within": "COUNTY2"}))] == ["Carol"]
    assert [row["name"] for row in csv_rows(api_as("city_admin").get(URL, {"q": "Bo"}))] == ["Bob"]
    roster["b"].record_exit("death")
    assert "Bob" not in [row["name"] for row in csv_rows(api_as("city_admin").get(URL))]


def test_within_outside_scope_is_404(api_as, roster):
    assert api_as("secretary_a").get(URL, {"within": "BRANCH_B"}).status_code == 404


def test_unknown_format_is_400(api_as, roster):
    response = api_as("city_admin").get(URL, {"format": "pdf"})
    assert response.status_code == 400 and "format" in response.json()


def test_export_queries_do_not_grow_with_rows(api_as, tree, users):
    def queries_for_export():
        forget_scope(users["county_staff"])  # as in a fresh request
        client = api_as("county_staff")
        with CaptureQueriesContext(connection) as captured:
            csv_rows(client.get(URL))
        return len(captured)

    make_member(tree["BRANCH_A"], id_number=id_number("19800101", "002"))
    few = queries_for_export()
    for sequence in range(4, 60, 2):
        make_member(tree["BRANCH_B"], id_number=id_number("19800101", "{:03d}".format(sequence)))
    # The user's role assignments, then one query for the rows (organization joined in).
    assert queries_for_export() == few == 2


def test_exported_file_imports_back_as_updates(api_as, roster):
    data = content_of(api_as("secretary_a").get(URL))
    response = api_as("secretary_a").post("/api/v1/members/import/", {"file": upload(data)}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 0, "updated": 2, "dry_run": False}


def test_page_export(client_as, roster):
    rows = csv_rows(client_as("secretary_a").get(PAGE, {"status": "probationary"}))
    assert [row["name"] for row in rows] == ["Grace"]
    assert len(xlsx_rows(client_as("secretary_a").get(PAGE, {"format": "xlsx"}))) == 2
    assert client_as("secretary_a").get(PAGE, {"format": "doc"}).status_code == 400


def test_generic_exporter_streams_any_queryset(tree):
    columns = [ExportColumn("code", "Code"), ExportColumn("parent", "Parent", "parent.code"), ExportColumn("active", "Active", "is_active")]
    response = export_response(Organization.objects.filter(code__startswith="BRANCH").order_by("code"), columns, "csv", "orgs", header="labels")
    assert isinstance(response, StreamingHttpResponse)
    assert content_of(response).decode("utf-8-sig").splitlines() == [
        "Code,Parent,Active",
        "BRANCH_A,TOWN,true",
        "BRANCH_B,TOWN,true",
        "BRANCH_C,COUNTY2,true",
    ]


class TestExportMatrix(MatrixTests):
    model = Member
    cases = [
        Case("GET", URL, {"anonymous": 401, "reader": 403, "secretary_a": 200, "county_staff": 200, "city_admin": 200}),
        Case("GET", URL + "?within={BRANCH_B}", {"secretary_a": 404, "secretary_b": 200}),
        Case("GET", PAGE, {"anonymous": 302, "reader": 403, "secretary_a": 200}, api=False),
        Case("GET", "/members/import/", {"anonymous": 302, "reader": 403, "secretary_a": 200, "county_staff": 200}, api=False),
        Case("GET", "/members/import/template.csv", {"anonymous": 302, "reader": 403, "secretary_b": 200}, api=False),
    ]


def test_member_list_links_to_export_with_its_filters(client_as, roster):
    page = client_as("secretary_a").get("/members/", {"status": "formal"}).content.decode()
    assert 'href="/members/export/?status=formal&amp;format=csv"' in page
    assert 'href="/members/export/?status=formal&amp;format=xlsx"' in page
    assert 'href="/members/import/"' in page
    rows = csv_rows(client_as("secretary_a").get("/members/export/?status=formal&format=csv"))
    assert [row["name"] for row in rows] == ["Alice"]
