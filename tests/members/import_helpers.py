"""Building roster files for the import and export tests."""

import csv
import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile

from members.io.rules import COLUMNS
from members.models import Member
from members.validators import credit_code_check_character, id_number_check_character


def id_number(birth="19900101", sequence="123", region="350102"):
    """A valid resident ID number (odd ``sequence`` = male, even = female)."""
    first17 = region + birth + sequence
    return first17 + id_number_check_character(first17)


def credit_code(first17="91350200MA2XY0123"):
    return first17 + credit_code_check_character(first17)


def row(**overrides):
    """A valid import row (a formal male member of BRANCH_A) with ``overrides`` applied."""
    values = {
        "name": "Zhang San",
        "gender": "male",
        "birth_date": "1990-01-01",
        "id_number": id_number(),
        "phone": "13800138000",
        "organization": "BRANCH_A",
        "status": "formal",
        "joined_on": "2015-07-01",
        "full_member_on": "2016-07-01",
        "categories": "rural;mobile",
        "activity_status": "normal",
        "enterprise": "",
        "is_pocket": "false",
    }
    values.update(overrides)
    return values


def csv_bytes(rows, columns=COLUMNS, encoding="utf-8", bom=False):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for values in rows:
        writer.writerow([values.get(column, "") for column in columns])
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def upload(data, name="members.csv"):
    content_type = "text/csv" if name.endswith(".csv") else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return SimpleUploadedFile(name, data, content_type=content_type)


def xlsx_bytes(rows, columns=COLUMNS):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(columns))
    for values in rows:
        sheet.append([values.get(column, "") for column in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def make_member(organization, **fields):
    values = {
        "name": "Li Si",
        "gender": "female",
        "birth_date": datetime.date(1985, 5, 5),
        "id_number": id_number("19850505", "222"),
        "phone": "13900139000",
        "status": "probationary",
        "joined_on": datetime.date(2020, 1, 1),
    }
    values.update(fields)
    return Member.objects.create(organization=organization, **values)
