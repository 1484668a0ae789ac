"""Appraisal's downloads: the round and disposal lists (``?export=``, on the shared list-export base)
and the titled report (``portal.export.TitledReport``) behind the round's XLSX report."""

import io

import pytest
from django.utils import translation
from openpyxl import load_workbook

from appraisal import services
from appraisal.models import AppraisalRound, DisposalDecision, Rating
from appraisal.tables import AppraisalRoundTable, DisposalDecisionTable
from portal.export import TitledReport
from tests.bases.exports import ListExportTests, read_csv

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture(autouse=True)
def _default_language_after():
    # A request in Chinese leaves Chinese active on the thread; tests after it run in the default again.
    yield
    translation.deactivate()


class TestRoundListExport(ListExportTests):
    list_url = "/appraisal/"
    table_class = AppraisalRoundTable
    key_column = "name"
    shows = {"county_staff": ["2026 appraisal", "Town round"], "secretary_a": ["2026 appraisal", "Town round"]}
    hides = {"secretary_b": [], "county_staff": ["Other county round"]}
    filters = [({"year": "2025"}, "city_admin", ["Other county round"])]
    formula_row = FORMULA

    @pytest.fixture
    def world(self, tree, users, people, city_round):
        services.open_round(AppraisalRound(name="Town round", year=2026, organization=tree["TOWN"], publicity_days=5))
        services.open_round(
            AppraisalRound(name="Other county round", year=2025, organization=tree["COUNTY2"], publicity_days=5)
        )
        services.open_round(AppraisalRound(name=FORMULA, year=2024, organization=tree["COUNTY2"], publicity_days=5))
        return {}


class TestDisposalListExport(ListExportTests):
    list_url = "/appraisal/disposals/"
    table_class = DisposalDecisionTable
    key_column = "rating.member.name"
    shows = {"county_staff": ["Bob 0"], "city_admin": ["Bob 0", "Carol 0"]}
    hides = {"secretary_a": ["Bob 0", "Carol 0"], "county_staff": ["Carol 0"]}
    filters = [({"all": "1", "kind": "removal"}, "city_admin", ["Carol 0"])]

    def download(self, client_as, world, role, file_format="csv", query=None, **extra):
        return super().download(client_as, world, role, file_format, {"all": "1", **(query or {})}, **extra)

    @pytest.fixture
    def world(self, tree, users, people, city_round):
        services.save_ratings(city_round, users["city_admin"], [
            {"member": people["B"][0].pk, "rating": "unqualified"},
            {"member": people["C"][0].pk, "rating": "unqualified"},
        ])
        for member, kind in ((people["B"][0], "persuaded_to_withdraw"), (people["C"][0], "removal")):
            DisposalDecision.objects.create(
                rating=Rating.objects.get(member=member), organization=member.organization, kind=kind
            )
        return {}


def test_disposal_download_shows_labels_and_codes(client_as, people, city_round, users):
    services.save_ratings(city_round, users["city_admin"], [{"member": people["B"][0].pk, "rating": "unqualified"}])
    DisposalDecision.objects.create(
        rating=Rating.objects.get(member=people["B"][0]), organization=people["B"][0].organization, kind="removal"
    )
    rows = read_csv(client_as("county_staff").get("/appraisal/disposals/", {"all": "1", "export": "csv"}))
    bob = dict(zip(rows[0], rows[1]))
    assert (bob["Organization code"], bob["Organization"], bob["Disposal"]) == ("BRANCH_B", "Branch_B", "Removal")


# --- the titled report ---------------------------------------------------------------------------


def sheet_of(content):
    return load_workbook(io.BytesIO(content)).active


def test_titled_report_layout_totals_and_styles():
    report = TitledReport(
        "Report: " + FORMULA, [("Code", 10), ("Name", 30), ("Count", 8), ("Share", 8)], lines=["Line one"],
        sheet="Sheet: a/b", totals=[2, 3], totals_label="Total", totals_label_column=1,
    )
    report.add(["A", FORMULA, 2, 0.5])
    report.add(["B", "-1", 3, None])
    sheet = sheet_of(report.content())
    rows = [tuple(cell.value for cell in row) for row in sheet.iter_rows()]
    assert rows[0][0] == "Report: " + FORMULA and rows[1][0] == "Line one"
    assert all(value is None for value in rows[2])
    assert rows[3] == ("Code", "Name", "Count", "Share")
    assert rows[4] == ("A", FORMULA, 2, 0.5) and rows[5] == ("B", "-1", 3, None)
    assert rows[6] == (None, "Total", 5, 0.5)
    assert sheet["A1"].font.b and sheet["A1"].font.sz == 13
    assert sheet["A4"].font.b and sheet["A4"].alignment.wrap_text
    assert sheet["C7"].font.b and not sheet["C5"].font.b
    assert sheet.freeze_panes == "A5"
    assert sheet.title == "Sheet  a b"
    assert sheet.column_dimensions["B"].width == 30
    assert sheet["B5"].data_type == "s" and all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_round_report_in_chinese(client_as, city_round, people, users):
    services.save_ratings(city_round, users["city_admin"], [{"member": people["A"][0].pk, "rating": "outstanding"}])
    client = client_as("county_staff")
    response = client.get("/appraisal/{}/report.xlsx".format(city_round.pk), HTTP_ACCEPT_LANGUAGE="zh-hans")
    rows = [tuple(cell.value for cell in row) for row in sheet_of(response.content).iter_rows()]
    with translation.override("zh-hans"):
        from appraisal.choices import RatingChoices

        expected = (str(RatingChoices.OUTSTANDING.label), str(translation.gettext("Members appraised")))
    assert expected[0] in rows[3] and expected[1] in rows[3]
    assert expected[0] != "Outstanding", "the catalogue has no Chinese for the ratings"
    assert rows[-1][2] == 1
