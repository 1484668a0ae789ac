"""The member import on the import test base (tests/bases/imports.py): a good roster file in every
format, each rule of the roster reported on its column with nothing written, and a file whose header
and values are the labels an export writes, in English or Chinese (issue 13)."""

import pytest
from django.utils import translation

from members.choices import ActivityStatusChoices, GenderChoices, MemberCategoryChoices, MemberStatusChoices
from members.io.export import member_columns
from members.io.importer import MemberImporter
from members.tables import MemberTable
from members.models import Member
from tests.bases.imports import ImportTestCase, upload
from tests.members.import_helpers import csv_bytes, id_number, row

# Each overrides the second row of a valid file (its own ID number); the column the error is on.
BAD_ROWS = [
    ({"name": ""}, "name"),
    ({"name": "x" * 101}, "name"),
    ({"gender": "unknown"}, "gender"),
    ({"gender": "female"}, "gender"),  # the ID number's sequence is odd: male
    ({"birth_date": "1990-13-01"}, "birth_date"),
    ({"birth_date": "1991-01-01"}, "birth_date"),  # not the date inside the ID number
    ({"id_number": ""}, "id_number"),
    ({"id_number": "35010219900101123"}, "id_number"),  # 17 characters
    ({"id_number": id_number()[:17] + ("0" if id_number()[17] != "0" else "1")}, "id_number"),  # check digit
    ({"phone": "call me"}, "phone"),
    ({"organization": ""}, "organization"),
    ({"organization": "NOWHERE"}, "organization"),
    ({"organization": "BRANCH_B"}, "organization"),  # exists, but outside secretary_a's branch
    ({"status": "candidate"}, "status"),
    ({"joined_on": ""}, "joined_on"),
    ({"joined_on": "2999-01-01", "full_member_on": ""}, "joined_on"),
    ({"joined_on": "2000-01-01", "full_member_on": "2001-01-01"}, "joined_on"),  # joined at 10
    ({"full_member_on": ""}, "full_member_on"),  # formal needs it
    ({"full_member_on": "2015-07-01"}, "full_member_on"),  # not after joined_on
    ({"status": "probationary"}, "full_member_on"),  # probationary has none yet
    ({"categories": "rural;astronaut"}, "categories"),
    ({"activity_status": "asleep"}, "activity_status"),
    ({"enterprise": "91350200MA2XYZ1230"}, "enterprise"),  # wrong check character (or format)
    ({"enterprise": "not a code"}, "enterprise"),
    ({"is_pocket": "maybe"}, "is_pocket"),
]


class TestMemberImport(ImportTestCase):
    url = "/api/v1/members/import/"
    importer = MemberImporter
    role = "secretary_a"
    good_rows = [
        row(),
        row(name="Wang Fang", gender="female", id_number=id_number(sequence="124"), categories="", status="probationary",
            full_member_on="", is_pocket="true", activity_status="lost_contact"),
        row(name="Li Ming", id_number=id_number(sequence="125"), organization="GROUP_A1", categories="retired", phone=""),
    ]
    bad_rows = BAD_ROWS

    def unique(self, index):
        # Odd sequences are men, as row() is; 301 upwards are not used by good_rows.
        return {"id_number": id_number(sequence="{:03d}".format(301 + 2 * index))}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_export_header_names_its_import_column(language):
    """The headers of the member export and of the member list's download, in either language, are
    read as the import column they hold: the labels come from one declaration and cannot drift."""
    names = MemberImporter.header_names()
    with translation.override(language):
        exported = {column.key: str(column.label).lower() for column in member_columns(None)}
        listed = {column.key: str(column.label).lower() for column in MemberTable.columns}
    for key, label in exported.items():
        if key in MemberImporter.column_names():
            assert names[label][1] == key, (key, label)
    held = {"name": "name", "gender": "gender", "shown_id_number": "id_number", "shown_phone": "phone",
            "organization.code": "organization", "status": "status", "_category_labels": "categories",
            "activity_status": "activity_status", "is_pocket": "is_pocket"}
    for key, column in held.items():
        assert names[listed[key]][1] == column, (key, listed[key])


def test_the_code_column_wins_over_the_name_column_of_a_list_download():
    with translation.override("zh-hans"):
        header = [str(column.label).lower() for column in MemberTable.columns]
    positions, _errors = MemberImporter.header_errors(header)
    keys = [column.key for column in MemberTable.columns]
    assert positions["organization"] == keys.index("organization.code")


@pytest.mark.django_db
def test_a_chinese_file_edited_in_excel_imports(api_as):
    """A GBK file with Chinese headers (the list download's, with its organization name column too),
    Chinese labels, loose dates and 、-separated categories: read as the codes they stand for."""
    header = "姓名,性别,出生日期,身份证号,联系电话,组织代码,组织,状态,入党日期,转正日期,类别,活动状态,工作单位统一社会信用代码,口袋党员"
    with translation.override("zh-hans"):  # the labels as the catalogue has them
        male, formal, rural, mobile, lost = (
            str(choice.label) for choice in (GenderChoices.MALE, MemberStatusChoices.FORMAL, MemberCategoryChoices.RURAL,
                                             MemberCategoryChoices.MOBILE, ActivityStatusChoices.LOST_CONTACT)
        )
    line = "张三,{},1990年1月1日,{},13800138000,BRANCH_A,支部A,{},2015/7/1,2016-07-01,{}、{},{},,是".format(
        male, id_number(), formal, rural, mobile, lost
    )
    data = (header + "\r\n" + line + "\r\n").encode("gbk")
    response = api_as("secretary_a").post("/api/v1/members/import/", {"file": upload(data)}, format="multipart")
    assert response.status_code == 200, response.content
    member = Member.objects.get()
    assert (member.gender, member.status, member.categories, member.activity_status, member.is_pocket) == (
        "male", "formal", ["rural", "mobile"], "lost_contact", True
    )
    assert member.organization.code == "BRANCH_A"


@pytest.mark.django_db
def test_a_wrong_label_is_reported_with_the_codes(api_as):
    data = csv_bytes([row(gender="男人")])
    response = api_as("secretary_a").post("/api/v1/members/import/", {"file": upload(data)}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"row": 1, "field": "gender", "message": "男人 is not one of: female, male."}]
