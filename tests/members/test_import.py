"""POST /api/v1/members/import/ (API.md "Import"): every rule, all errors at once, nothing half-written."""

import datetime

import pytest
from pghistory.models import Events

from members.io.rules import COLUMNS
from members.models import Member
from tests.matrix import Case, MatrixTests
from tests.members.import_helpers import credit_code, csv_bytes, id_number, make_member, row, upload, xlsx_bytes

URL = "/api/v1/members/import/"

pytestmark = pytest.mark.django_db


def post(client, data, name="members.csv", **extra):
    return client.post(URL, {"file": upload(data, name), **extra}, format="multipart")


def errors_of(response):
    assert response.status_code == 400, response.content
    return [(error["row"], error["field"]) for error in response.json()["errors"]]


def test_valid_file_creates_members(api_as, tree):
    rows = [row(), row(name="Wang Fang", gender="female", id_number=id_number(sequence="124"), categories="", status="probationary", full_member_on="")]
    response = post(api_as("secretary_a"), csv_bytes(rows))
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 2, "updated": 0, "dry_run": False}
    zhang = Member.objects.get(name="Zhang San")
    assert zhang.organization == tree["BRANCH_A"]
    assert zhang.categories == ["rural", "mobile"]
    assert zhang.birth_date == datetime.date(1990, 1, 1)
    assert zhang.full_member_on == datetime.date(2016, 7, 1)
    assert zhang.activity_status_since == datetime.date.today()
    wang = Member.objects.get(name="Wang Fang")
    assert wang.categories == [] and wang.full_member_on is None and wang.phone == "13800138000"


def test_import_is_audited_with_the_importer(api_as, users):
    post(api_as("secretary_a"), csv_bytes([row()]))
    member = Member.objects.get()
    events = list(Events.objects.tracks(member))
    assert [event.pgh_label for event in events] == ["insert"]


def test_reimporting_unchanged_rows_rewrites_nothing(api_as):
    data = csv_bytes([row(), row(id_number=id_number(sequence="125"), name="Other")])
    post(api_as("secretary_a"), data)
    changed = csv_bytes([row(), row(id_number=id_number(sequence="125"), name="Renamed")])
    response = post(api_as("secretary_a"), changed)
    assert response.json() == {"created": 0, "updated": 2, "dry_run": False}
    labels = sorted(Events.objects.filter(pgh_model="members.MemberEvent").values_list("pgh_label", flat=True))
    assert labels == ["insert", "insert", "update"]  # only the renamed member was rewritten
    assert Member.objects.filter(name="Renamed").exists()


def test_dry_run_writes_nothing(api_as, tree):
    existing = make_member(tree["BRANCH_A"], id_number=id_number(), name="Old Name", gender="male", birth_date=datetime.date(1990, 1, 1))
    rows = [row(), row(id_number=id_number(sequence="125"), name="New")]
    response = post(api_as("secretary_a"), csv_bytes(rows), dry_run="true")
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 1, "updated": 1, "dry_run": True}
    assert list(Member.objects.values_list("pk", "name")) == [(existing.pk, "Old Name")]


def test_update_by_id_number(api_as, tree):
    existing = make_member(
        tree["BRANCH_A"], id_number=id_number(), name="Old Name", gender="male", birth_date=datetime.date(1990, 1, 1),
        activity_status="lost_contact",
    )
    Member.objects.filter(pk=existing.pk).update(activity_status_since=datetime.date(2020, 1, 1))
    left = make_member(tree["BRANCH_A"], id_number=id_number(sequence="125"), name="Left", gender="male", birth_date=datetime.date(1990, 1, 1))
    left.record_exit("death")
    rows = [
        row(name="New Name", organization="GROUP_A1", phone="", activity_status="normal"),
        # Same number as a member who left: a new current member, the old record stays as it was.
        row(name="Returned", id_number=id_number(sequence="125")),
    ]
    response = post(api_as("secretary_a"), csv_bytes(rows))
    assert response.json() == {"created": 1, "updated": 1, "dry_run": False}
    existing.refresh_from_db()
    assert (existing.name, existing.organization.code, existing.phone, existing.status) == ("New Name", "GROUP_A1", None, "formal")
    assert existing.activity_status == "normal" and existing.activity_status_since == datetime.date.today()
    left.refresh_from_db()
    assert left.name == "Left" and left.left_on is not None
    assert Member.objects.current().filter(id_number=id_number(sequence="125")).get().name == "Returned"
    assert Member.objects.count() == 3


def test_unchanged_activity_status_keeps_its_date(api_as, tree):
    existing = make_member(tree["BRANCH_A"], id_number=id_number(), gender="male", birth_date=datetime.date(1990, 1, 1))
    Member.objects.filter(pk=existing.pk).update(activity_status_since=datetime.date(2020, 1, 1))
    post(api_as("secretary_a"), csv_bytes([row()]))
    existing.refresh_from_db()
    assert existing.activity_status_since == datetime.date(2020, 1, 1)


# Each rule reported on its field, nothing written: tests/members/test_import_declaration.py (on
# the import test base, tests/bases/imports.py).


def test_enterprise_with_valid_credit_code_is_stored_normalized(api_as):
    code = credit_code()
    response = post(api_as("secretary_a"), csv_bytes([row(enterprise=code.lower(), is_pocket="是")]))
    assert response.status_code == 200, response.content
    member = Member.objects.get()
    assert member.enterprise == code and member.is_pocket is True


@pytest.mark.parametrize("word, expected", [("true", True), ("1", True), ("是", True), ("false", False), ("0", False), ("否", False), ("", False)])
def test_booleans(api_as, word, expected):
    assert post(api_as("secretary_a"), csv_bytes([row(is_pocket=word)])).status_code == 200
    assert Member.objects.get().is_pocket is expected


def test_loose_dates_from_excel(api_as):
    response = post(api_as("secretary_a"), csv_bytes([row(birth_date="1990/1/1", joined_on="2015年7月1日", full_member_on="2016.07.01")]))
    assert response.status_code == 200, response.content
    assert Member.objects.get().joined_on == datetime.date(2015, 7, 1)


def test_mixed_file_reports_every_bad_row_and_writes_nothing(api_as):
    rows = [
        row(),
        row(id_number=id_number(sequence="125"), gender="female", status="candidate"),  # two errors on row 2
        row(id_number=id_number(sequence="127")),
        row(id_number=id_number(sequence="129"), organization="NOWHERE", birth_date="not a date"),
        row(id_number=id_number(sequence="131")),
        row(id_number=id_number()),  # duplicate of row 1 inside the file
    ]
    response = post(api_as("secretary_a"), csv_bytes(rows))
    assert errors_of(response) == [
        (2, "gender"),
        (2, "status"),
        (4, "birth_date"),
        (4, "organization"),
        (6, "id_number"),
    ]
    duplicate = response.json()["errors"][-1]["message"]
    assert "row 1" in duplicate
    assert not Member.objects.exists()


def test_duplicates_are_found_across_bad_rows_too(api_as):
    rows = [
        row(name=""),  # bad, but its ID number is valid and counts
        row(id_number=id_number(sequence="125"), name="x" * 500, categories='{a,"b"}\\', enterprise="\t{bad}"),
        row(),  # the same ID number as row 1
    ]
    response = post(api_as("secretary_a"), csv_bytes(rows))
    assert errors_of(response) == [(1, "name"), (2, "name"), (2, "categories"), (2, "enterprise"), (3, "id_number")]
    assert "row 1" in response.json()["errors"][-1]["message"]


def test_blank_lines_are_skipped_but_counted(api_as):
    data = csv_bytes([row(), row(id_number=id_number(sequence="125"), gender="x")])
    lines = data.split(b"\r\n")
    data = b"\r\n".join(lines[:2] + [b",,,,,,,,,,,,", b""] + lines[2:])
    assert errors_of(post(api_as("secretary_a"), data)) == [(4, "gender")]


def test_names_with_copy_special_characters(api_as):
    name = "Tab\there \\N back\\slash\nline"
    response = post(api_as("secretary_a"), csv_bytes([row(name=name)]))
    assert response.status_code == 200, response.content
    assert Member.objects.get().name == name.strip()


def test_gbk_csv(api_as):
    response = post(api_as("secretary_a"), csv_bytes([row(name="张三", is_pocket="否")], encoding="gbk"))
    assert response.status_code == 200, response.content
    assert Member.objects.get().name == "张三"


def test_utf8_with_bom(api_as):
    response = post(api_as("secretary_a"), csv_bytes([row(name="李四")], bom=True))
    assert response.status_code == 200, response.content
    assert Member.objects.get().name == "李四"


def test_utf8_without_bom_and_columns_in_any_order(api_as):
    columns = tuple(reversed(COLUMNS))
    response = post(api_as("secretary_a"), csv_bytes([row(name="王五")], columns=columns + ("remarks",)))
    assert response.status_code == 200, response.content
    assert Member.objects.get().name == "王五"


def test_xlsx(api_as):
    rows = [row(name="赵六"), row(name="Bad", id_number=id_number(sequence="125"), status="nope")]
    response = post(api_as("secretary_a"), xlsx_bytes(rows), name="members.xlsx")
    assert errors_of(response) == [(2, "status")]
    response = post(api_as("secretary_a"), xlsx_bytes(rows[:1]), name="members.xlsx")
    assert response.status_code == 200, response.content
    assert Member.objects.get().name == "赵六"


def test_xlsx_with_real_dates_and_numbers(api_as):
    from openpyxl import Workbook
    import io

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS))
    values = row(is_pocket="")
    values.update(birth_date=datetime.datetime(1990, 1, 1), joined_on=datetime.date(2015, 7, 1), full_member_on=datetime.date(2016, 7, 1), phone=13800138000, is_pocket=False)
    sheet.append([values[column] for column in COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = post(api_as("secretary_a"), buffer.getvalue(), name="members.xlsx")
    assert response.status_code == 200, response.content
    assert Member.objects.get().phone == "13800138000"


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n\r\n"])
def test_empty_file(api_as, data):
    assert errors_of(post(api_as("secretary_a"), data)) == [(0, "file")]


def test_header_only(api_as):
    assert errors_of(post(api_as("secretary_a"), csv_bytes([]))) == [(0, "file")]


def test_missing_columns_are_named(api_as):
    columns = tuple(column for column in COLUMNS if column not in ("phone", "is_pocket"))
    response = post(api_as("secretary_a"), csv_bytes([row()], columns=columns))
    assert errors_of(response) == [(0, "phone"), (0, "is_pocket")]
    assert "is_pocket" in response.json()["errors"][1]["message"]


def test_no_file_field(api_as):
    response = api_as("secretary_a").post(URL, {"dry_run": "true"}, format="multipart")
    assert errors_of(response) == [(0, "file")]


@pytest.mark.parametrize(
    "data",
    [
        b"name,gender\n\xff\xfe\xfd,male\n",  # neither UTF-8 nor GBK
        "name,gender\nZhang\x00San,male\n".encode(),  # NUL: not a text file
        "name\n".encode("utf-16"),
    ],
)
def test_undecodable_file(api_as, data):
    assert errors_of(post(api_as("secretary_a"), data)) == [(0, "file")]


def test_broken_xlsx(api_as):
    assert errors_of(post(api_as("secretary_a"), b"PK\x03\x04 not really a zip", name="members.xlsx")) == [(0, "file")]


def test_secretary_cannot_import_into_another_branch(api_as):
    rows = [row(), row(id_number=id_number(sequence="125"), organization="BRANCH_B")]
    assert errors_of(post(api_as("secretary_a"), csv_bytes(rows))) == [(2, "organization")]
    assert not Member.objects.exists()


def test_secretary_cannot_update_a_member_of_another_branch(api_as, tree):
    other = make_member(tree["BRANCH_B"], id_number=id_number(), name="Theirs", gender="male", birth_date=datetime.date(1990, 1, 1))
    rows = [row(id_number=id_number(sequence="125")), row(name="Hijacked")]
    assert errors_of(post(api_as("secretary_a"), csv_bytes(rows))) == [(2, "id_number")]
    other.refresh_from_db()
    assert other.name == "Theirs" and other.organization == tree["BRANCH_B"]
    assert Member.objects.count() == 1


def test_staff_imports_anywhere_in_the_subtree(api_as):
    rows = [row(), row(id_number=id_number(sequence="125"), organization="BRANCH_B"), row(id_number=id_number(sequence="127"), organization="BRANCH_C")]
    assert errors_of(post(api_as("county_staff"), csv_bytes(rows))) == [(3, "organization")]
    response = post(api_as("county_staff"), csv_bytes(rows[:2]))
    assert response.json() == {"created": 2, "updated": 0, "dry_run": False}


class TestImportMatrix(MatrixTests):
    model = Member
    cases = [
        # JSON instead of a multipart file: who gets past the permission check meets a 415.
        Case("POST", URL, {"anonymous": 401, "reader": 403, "secretary_a": 415, "county_staff": 415}),
        Case("GET", URL, {"anonymous": 401, "reader": 403, "secretary_a": 405}),
    ]
