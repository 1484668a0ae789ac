"""Import limits (security audit, issue 8 finding 4): file size, rows, cell length and zip bombs.

Every limit stops the read where it is hit (counted in rows read and bytes unpacked, never timed),
with a message naming the limit and the row; the XLSX files are built here, small on disk.
"""

import datetime
import io
import struct
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import translation
from openpyxl import Workbook, load_workbook

from members.models import Member
from portal import spreadsheets
from portal.spreadsheets import LimitExceeded, ReadLimits, SpreadsheetError, read_table
from tests.members.import_helpers import csv_bytes, id_number, row, upload, xlsx_bytes

URL = "/api/v1/members/import/"

LIMITS = ReadLimits(
    max_bytes=20 * 1024 * 1024,
    max_rows=1000,
    max_cell_chars=100,
    max_uncompressed_bytes=200 * 1024 * 1024,
    max_compression_ratio=100,
)
# For files that are bombs on purpose, to reach the limit under test behind the zip checks.
NO_ZIP_CHECKS = ReadLimits(
    max_bytes=20 * 1024 * 1024,
    max_rows=1000,
    max_cell_chars=100,
    max_uncompressed_bytes=10 * 1024 ** 3,
    max_compression_ratio=10 ** 9,
)

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b"</Types>"
)
ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    b"</Relationships>"
)
WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    b' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="members" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    b"</Relationships>"
)
SHEET_START = b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
SHEET_END = b"</sheetData></worksheet>"
HEADER_ROW = b'<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c><c r="B1" t="inlineStr"><is><t>phone</t></is></c></row>'


def xlsx_package(sheet_parts, shared_strings=None):
    """An XLSX file whose first sheet is ``SHEET_START + parts + SHEET_END``, written (and deflated)
    part by part, so a sheet of hundreds of megabytes is never held in memory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        if shared_strings is not None:
            with archive.open("xl/sharedStrings.xml", "w") as part:
                part.write(b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
                for piece in shared_strings:
                    part.write(piece)
                part.write(b"</sst>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            part.write(SHEET_START)
            for piece in sheet_parts:
                part.write(piece)
            part.write(SHEET_END)
    return buffer.getvalue()


def declare_size(data, name, size):
    """``data`` (a zip) with the unpacked size of part ``name`` rewritten to ``size`` in its local
    header and in the central directory: a zip whose directory lies."""
    data = bytearray(data)
    encoded = name.encode()
    local = data.find(b"PK\x03\x04")
    while local >= 0:
        name_length = struct.unpack_from("<H", data, local + 26)[0]
        if data[local + 30:local + 30 + name_length] == encoded:
            struct.pack_into("<L", data, local + 22, size)
            break
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46:central + 46 + name_length] == encoded:
            struct.pack_into("<L", data, central + 24, size)
            break
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


def repeated(piece, total_bytes, block=1 << 20):
    """``piece`` repeated to about ``total_bytes``, in blocks of about a megabyte."""
    chunk = piece * max(1, block // len(piece))
    for _ in range(max(1, total_bytes // len(chunk))):
        yield chunk


class _Unreadable(io.BytesIO):
    """A file that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the file was read")


# --- file size -----------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_it_is_read():
    uploaded = SimpleUploadedFile("big.csv", b"")
    uploaded.file = _Unreadable()
    uploaded.size = 50 * 1024 * 1024
    with pytest.raises(LimitExceeded) as refused:
        read_table(uploaded, LIMITS)
    message = str(refused.value)
    assert "50.0" in message and "20.0" in message and "IMPORT_MAX_BYTES" in message


@pytest.mark.django_db
@override_settings(IMPORT_MAX_BYTES=2000)
def test_the_api_refuses_a_file_over_the_size_limit(api_as):
    data = csv_bytes([row(id_number=id_number(sequence="{:03d}".format(n))) for n in range(1, 40, 2)])
    assert len(data) > 2000
    response = api_as("secretary_a").post(URL, {"file": upload(data)}, format="multipart")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "file" and "IMPORT_MAX_BYTES" in error["message"]
    assert not Member.objects.exists()


# --- rows ----------------------------------------------------------------------------------------


def test_a_two_million_row_xlsx_stops_at_the_first_row_beyond_the_limit():
    # 2,000,000 rows without row numbers compress to a few hundred kilobytes (as in the audit).
    data = xlsx_package([HEADER_ROW, *repeated(b'<row><c t="inlineStr"><is><t>x</t></is></c></row>', 2_000_000 * 50)])
    assert len(data) < 1024 * 1024
    table = read_table(io.BytesIO(data), NO_ZIP_CHECKS)
    numbers = []
    with pytest.raises(LimitExceeded) as refused:
        for number, _cells in table.rows:
            numbers.append(number)
    assert numbers[-1] == 1000 and refused.value.row == 1001
    assert "1001" in str(refused.value) and "1000" in str(refused.value) and "IMPORT_MAX_ROWS" in str(refused.value)
    # Parsing runs at most one chunk (64 KiB, about 1,300 of these rows) ahead of the rows used.
    assert table.rows_read < 3000
    assert table.bytes_unpacked < 1024 * 1024


def test_a_row_far_below_the_header_stops_the_read_at_once():
    far = b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    table = read_table(io.BytesIO(xlsx_package([HEADER_ROW, far])), LIMITS)
    with pytest.raises(LimitExceeded) as refused:
        list(table.rows)
    assert refused.value.row == 1048575
    assert table.rows_read == 2  # not a million blank rows in between


def test_a_csv_stops_at_the_first_row_beyond_the_limit():
    data = b"name,phone\n" + b"x,1\n" * 2_000_000
    table = read_table(io.BytesIO(data), LIMITS)
    with pytest.raises(LimitExceeded) as refused:
        for _row in table.rows:
            pass
    assert refused.value.row == 1001
    assert table.rows_read == 1002  # the header, 1,000 rows and the one beyond


def test_blank_rows_count_towards_the_limit():
    data = b"\n" * 5000 + b"name,phone\n"
    with pytest.raises(LimitExceeded):
        read_table(io.BytesIO(data), LIMITS)


@pytest.mark.django_db
@override_settings(IMPORT_MAX_ROWS=3)
def test_the_api_names_the_row_and_the_limit_and_writes_nothing(api_as):
    rows = [row(id_number=id_number(sequence="{:03d}".format(n))) for n in (101, 103, 105, 107, 109)]
    response = api_as("secretary_a").post(URL, {"file": upload(csv_bytes(rows))}, format="multipart")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "file" and "Row 4" in error["message"] and "3 rows" in error["message"]
    assert not Member.objects.exists()


# --- cell length ---------------------------------------------------------------------------------


def test_a_long_csv_cell_names_its_row_and_column():
    data = b"name,phone\nshort,1\n" + b"x," + b"9" * 101 + b"\n"
    table = read_table(io.BytesIO(data), LIMITS)
    with pytest.raises(LimitExceeded) as refused:
        list(table.rows)
    message = str(refused.value)
    assert refused.value.row == 2 and "column phone" in message and "100 characters" in message


def test_a_cell_beyond_the_csv_modules_own_cap_gets_the_same_message():
    data = b"name,phone\n" + b"x" * 200_000 + b",1\n"
    table = read_table(io.BytesIO(data), LIMITS)
    with pytest.raises(LimitExceeded) as refused:
        list(table.rows)
    assert refused.value.row == 1 and "IMPORT_MAX_CELL_CHARS" in str(refused.value)


def test_a_huge_xlsx_cell_is_refused_before_it_is_read_whole():
    # One cell of 300 MB of "a" (a 300 KB file): with the zip checks out of the way, the cell limit
    # stops the read after a few chunks, not after 300 MB.
    cell = [b'<row r="2"><c r="A2" t="inlineStr"><is><t>', *repeated(b"a", 300 * 1024 * 1024), b"</t></is></c></row>"]
    data = xlsx_package([HEADER_ROW, *cell])
    assert len(data) < 1024 * 1024
    table = read_table(io.BytesIO(data), NO_ZIP_CHECKS)
    with pytest.raises(LimitExceeded) as refused:
        list(table.rows)
    assert refused.value.row == 1 and "column name" in str(refused.value)
    assert table.bytes_unpacked < 1024 * 1024


def test_a_long_shared_string_is_refused_where_a_cell_uses_it():
    strings = [b"<si><t>fine</t></si>", b"<si><t>" + b"b" * 500 + b"</t></si>"]
    sheet = [HEADER_ROW, b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>', b'<row r="3"><c r="B3" t="s"><v>1</v></c></row>']
    table = read_table(io.BytesIO(xlsx_package(sheet, shared_strings=strings)), LIMITS)
    rows = table.rows
    assert next(rows) == (1, ["fine"])
    with pytest.raises(LimitExceeded) as refused:
        next(rows)
    assert refused.value.row == 2 and "column phone" in str(refused.value)


# --- zip bombs -----------------------------------------------------------------------------------


def test_a_zip_bomb_is_refused_from_its_declared_size_before_anything_is_unpacked(monkeypatch):
    cell = [b'<row r="2"><c r="A2" t="inlineStr"><is><t>', *repeated(b"a", 300 * 1024 * 1024), b"</t></is></c></row>"]
    data = xlsx_package([HEADER_ROW, *cell])
    opened = []
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, *args, **kwargs: opened.append(args) or 1 / 0)
    with pytest.raises(LimitExceeded) as refused:
        read_table(io.BytesIO(data), LIMITS)
    assert "IMPORT_MAX_UNCOMPRESSED_BYTES" in str(refused.value) and "200.0" in str(refused.value)
    assert opened == []


def test_a_part_compressed_beyond_the_ratio_is_refused_before_it_is_unpacked(monkeypatch):
    # 20 MB unpacked (under the size limit) from about 20 KB: no spreadsheet compresses 1000 times.
    data = xlsx_package([HEADER_ROW, *repeated(b'<row><c t="inlineStr"><is><t>x</t></is></c></row>', 20 * 1024 * 1024)])
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, *args, **kwargs: 1 / 0)
    with pytest.raises(LimitExceeded) as refused:
        read_table(io.BytesIO(data), LIMITS)
    assert "IMPORT_MAX_COMPRESSION_RATIO" in str(refused.value) and "xl/worksheets/sheet1.xml" in str(refused.value)


def test_unpacked_bytes_are_counted_while_reading_too(monkeypatch):
    # A directory that understates the sizes gets past the first check; the count while reading stops it.
    monkeypatch.setattr(spreadsheets._XlsxPackage, "_check_declared_sizes", lambda self: None)
    data = xlsx_package([HEADER_ROW, *repeated(b'<row><c t="inlineStr"><is><t>x</t></is></c></row>', 30 * 1024 * 1024)])
    limits = ReadLimits(max_bytes=LIMITS.max_bytes, max_rows=10 ** 9, max_cell_chars=100,
                        max_uncompressed_bytes=5 * 1024 * 1024, max_compression_ratio=100)
    table = read_table(io.BytesIO(data), limits)
    with pytest.raises(LimitExceeded) as refused:
        list(table.rows)
    assert "IMPORT_MAX_UNCOMPRESSED_BYTES" in str(refused.value)
    assert table.bytes_unpacked <= 5 * 1024 * 1024 + spreadsheets._CHUNK


def test_a_directory_that_lies_about_a_part_is_not_read_beyond_what_it_declares():
    data = xlsx_package([HEADER_ROW, *repeated(b'<row><c t="inlineStr"><is><t>x</t></is></c></row>', 30 * 1024 * 1024)])
    lying = declare_size(data, "xl/worksheets/sheet1.xml", 100_000)
    table = read_table(io.BytesIO(lying), LIMITS)
    with pytest.raises(SpreadsheetError):
        list(table.rows)
    assert table.bytes_unpacked <= 200_000


def test_a_dtd_is_refused():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row><c t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", bomb)
    with pytest.raises(SpreadsheetError) as refused:
        list(read_table(io.BytesIO(buffer.getvalue()), LIMITS).rows)
    assert "DTD" in str(refused.value)


def test_a_zip_with_too_many_parts_is_refused_before_its_directory_is_parsed():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(spreadsheets.MAX_ZIP_ENTRIES + 1):
            archive.writestr("p{}".format(index), b"")
    with pytest.raises(SpreadsheetError):
        read_table(io.BytesIO(buffer.getvalue()), LIMITS)


# --- the streamed XLSX reads what openpyxl reads ---------------------------------------------------


def test_xlsx_cells_read_as_a_user_typed_them():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Born", "Count", "Share", "Pocket", "When", "Note"])
    sheet.append(["张三", datetime.date(1990, 3, 7), 12, 0.5, True, datetime.datetime(2024, 5, 6, 7, 8), None])
    sheet.append(["'=not a formula", datetime.datetime(2001, 1, 2), 3.0, -1, False, None, "last"])
    sheet.append([None, None, None])
    sheet.append(["Li Si", "2015-07-01", "13800138000", None, None, None, "  spaced  "])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table(io.BytesIO(buffer.getvalue()), LIMITS)
    assert table.header == ["name", "born", "count", "share", "pocket", "when", "note"]
    assert list(table.rows) == [
        (1, ["张三", "1990-03-07", "12", "0.5", "true", "2024-05-06"]),
        (2, ["=not a formula", "2001-01-02", "3", "-1", "false", "", "last"]),
        (4, ["Li Si", "2015-07-01", "13800138000", "", "", "", "  spaced  "]),
    ]
    # The same cells as openpyxl reads them (what the import used before).
    expected = list(load_workbook(io.BytesIO(buffer.getvalue()), read_only=True).active.iter_rows(values_only=True))
    assert expected[1][0] == "张三" and expected[1][2] == 12


def test_shared_strings_rich_text_and_phonetic_runs():
    strings = [b"<si><t>name</t></si>", b"<si><r><t>Wang</t></r><r><rPr><b/></rPr><t> Fang</t></r><rPh><t>wang</t></rPh></si>"]
    sheet = [b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>', b'<row r="2"><c r="A2" t="s"><v>1</v></c></row>']
    table = read_table(io.BytesIO(xlsx_package(sheet, shared_strings=strings)), LIMITS)
    assert table.header == ["name"] and list(table.rows) == [(1, ["Wang Fang"])]


@pytest.mark.django_db
def test_an_xlsx_roster_still_imports(api_as):
    data = xlsx_bytes([row(), row(id_number=id_number(sequence="125"), name="Wang Fang")])
    response = api_as("secretary_a").post(URL, {"file": upload(data, "members.xlsx")}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 2, "updated": 0, "dry_run": False}


# --- messages in both languages ------------------------------------------------------------------


def test_limit_messages_in_chinese():
    data = b"name,phone\n" + b"x,1\n" * 1005
    with translation.override("zh-hans"):
        table = read_table(io.BytesIO(data), LIMITS)
        with pytest.raises(LimitExceeded) as refused:
            list(table.rows)
    assert "第 1001 行" in str(refused.value) and "1000" in str(refused.value)
