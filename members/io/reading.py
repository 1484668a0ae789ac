"""Reading an uploaded roster file (CSV or XLSX) one row at a time, whatever its size.

Rows come out as ``(row_number, [cell text, ...])`` with ``row_number`` the 1-based data row
(the row after the header is 1), so a message can point at the line a user sees in Excel
(Excel line = row + 1). Blank rows are skipped but still counted.
"""

import codecs
import csv
import datetime
import io

from django.utils.translation import gettext as _

XLSX_MAGIC = b"PK\x03\x04"
# Chinese Excel saves "CSV" in the local code page; GB18030 is a superset of GBK and GB2312.
FALLBACK_ENCODING = "gb18030"
_CHUNK = 1 << 20


class FileError(Exception):
    """The file as a whole cannot be read (empty, not CSV/XLSX, broken)."""


def _open_binary(uploaded):
    """A seekable binary file object of an uploaded file (Django's UploadedFile or a plain file)."""
    binary = getattr(uploaded, "file", uploaded)
    binary.seek(0)
    return binary


def detect_encoding(binary):
    """``utf-8-sig`` when the whole file decodes as UTF-8 (BOM or not), else GB18030.

    Reads the file chunk by chunk so a large file is never held in memory, and refuses a file
    with NUL bytes (no text encoding of ours writes one; PostgreSQL cannot store it). Rewinds it.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    encoding = "utf-8-sig"
    while True:
        chunk = binary.read(_CHUNK)
        if b"\x00" in chunk:
            raise FileError(_("The file contains NUL characters; it is not a text file."))
        if encoding == "utf-8-sig":
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                encoding = FALLBACK_ENCODING
        if not chunk:
            break
    binary.seek(0)
    return encoding


def _cell_text(value):
    """Text of an XLSX cell as a user typed it (dates ISO, whole numbers without ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _csv_rows(binary):
    encoding = detect_encoding(binary)
    text = io.TextIOWrapper(binary, encoding=encoding, newline="")
    try:
        yield from csv.reader(text)
    except csv.Error as error:
        raise FileError(_("The CSV file cannot be read: {reason}").format(reason=error)) from None
    except UnicodeDecodeError:
        raise FileError(_("The file is neither UTF-8 nor GBK text; save it as CSV UTF-8 or as XLSX.")) from None
    finally:
        # Hand the binary file back to its owner instead of closing it with the wrapper.
        text.detach()


def _xlsx_rows(binary):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(binary, read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise FileError(_("The XLSX file cannot be read: {reason}").format(reason=error)) from None
    try:
        if not workbook.worksheets:
            raise FileError(_("The file is empty."))
        for values in workbook.worksheets[0].iter_rows(values_only=True):
            yield [_cell_text(value).replace("\x00", "") for value in values]
    except FileError:
        raise
    except Exception as error:  # noqa: BLE001
        raise FileError(_("The XLSX file cannot be read: {reason}").format(reason=error)) from None
    finally:
        workbook.close()


def iter_table(uploaded):
    """``(header, rows)``: the header cells (trimmed, lower case) and an iterator of
    ``(row_number, cells)`` for every non-blank data row. Raises ``FileError`` for an empty file."""
    binary = _open_binary(uploaded)
    start = binary.read(len(XLSX_MAGIC))
    binary.seek(0)
    if not start:
        raise FileError(_("The file is empty."))
    rows = _xlsx_rows(binary) if start == XLSX_MAGIC else _csv_rows(binary)
    header = None
    for cells in rows:
        if any(cell.strip() for cell in cells):
            header = [cell.strip().lower() for cell in cells]
            break
    if header is None:
        raise FileError(_("The file is empty."))

    def data_rows():
        for number, cells in enumerate(rows, start=1):
            # The first cell (usually the name) settles most rows without looking at the others.
            if cells and (cells[0].strip() or any(cell.strip() for cell in cells)):
                yield number, cells

    return header, data_rows()
