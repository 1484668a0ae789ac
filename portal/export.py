"""Exporting any list to CSV or XLSX without loading it into memory.

An app gives a queryset (already restricted and filtered) and its columns::

    columns = [ExportColumn("name", _("Name"), "name"), ExportColumn("organization", _("Organization"), "organization.code")]
    return export_response(queryset, columns, "csv", "members")

Rows are read with ``queryset.iterator(chunk_size=...)`` (a server-side cursor on PostgreSQL).
CSV is streamed as it is written (UTF-8 with a BOM, so Chinese Excel opens it without mojibake);
XLSX is written by openpyxl's write-only workbook to a temporary file on disk, then sent.

Every cell goes through ``portal.spreadsheets`` (``csv_cells``/``xlsx_cells``): a name such as
``=HYPERLINK(...)`` is a text cell in XLSX and ``'=HYPERLINK(...)`` in CSV, never a formula.
"""

import csv
import tempfile

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from portal.spreadsheets import csv_cells, xlsx_cells

FORMATS = ("csv", "xlsx")
CHUNK_SIZE = 2000
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"


class ExportColumn:
    """One column: ``key`` (the header of a re-importable file), a translatable ``label`` (unused when
    the header is the keys) and ``accessor``, an attribute path ("organization.code") or a callable."""

    def __init__(self, key, label, accessor=None):
        self.key = key
        self.label = label
        self.accessor = accessor or key

    def value(self, row):
        if callable(self.accessor):
            return self.accessor(row)
        value = row
        for part in self.accessor.split("."):
            if value is None:
                return None
            value = getattr(value, part)
        return value


class _Echo:
    """A file-like object whose ``write`` returns what it was given (csv.writer into a generator)."""

    def write(self, value):
        return value


def _header(columns, header):
    return [column.key if header == "keys" else str(column.label) for column in columns]


def _rows(queryset, columns, chunk_size):
    for row in queryset.iterator(chunk_size=chunk_size):
        yield [column.value(row) for column in columns]


def csv_chunks(queryset, columns, header="keys", chunk_size=CHUNK_SIZE):
    """The CSV file as a stream of text pieces (a BOM, the header row, one piece per row)."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow(csv_cells(_header(columns, header)))
    # Hand the server pieces of a few hundred rows, not one tiny piece per row.
    batch = []
    for values in _rows(queryset, columns, chunk_size):
        batch.append(writer.writerow(csv_cells(values)))
        if len(batch) >= 500:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def write_xlsx(queryset, columns, target, header="keys", chunk_size=CHUNK_SIZE, title=None):
    """Write an XLSX workbook to ``target`` (a path or binary file) row by row."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(title or gettext_lazy("Export"))[:31])
    sheet.append(xlsx_cells(sheet, _header(columns, header)))
    for values in _rows(queryset, columns, chunk_size):
        # Text cells keep long numbers (ID numbers, phones) exactly as they are, and a text that
        # looks like a formula stays text.
        sheet.append(xlsx_cells(sheet, values))
    workbook.save(target)


def export_response(queryset, columns, file_format, filename, header="keys", chunk_size=CHUNK_SIZE, title=None):
    """The HTTP response carrying ``queryset`` as ``filename``.csv or .xlsx (``file_format``)."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if file_format == "xlsx":
        # write_only keeps rows out of memory; the finished file is spooled on disk and deleted when closed.
        spool = tempfile.TemporaryFile(suffix=".xlsx")
        write_xlsx(queryset, columns, spool, header=header, chunk_size=chunk_size, title=title)
        spool.seek(0)
        return FileResponse(
            spool, as_attachment=True, filename="{}-{}.xlsx".format(filename, stamp), content_type=XLSX_CONTENT_TYPE
        )
    response = StreamingHttpResponse(
        (piece.encode("utf-8") for piece in csv_chunks(queryset, columns, header=header, chunk_size=chunk_size)),
        content_type=CSV_CONTENT_TYPE,
    )
    response["Content-Disposition"] = 'attachment; filename="{}-{}.csv"'.format(filename, stamp)
    return response
