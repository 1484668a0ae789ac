"""Exports and reports: any list as a streamed CSV or XLSX download, and titled XLSX reports.

**Lists** (pretix's ``ListExporter`` is the model): a list page's table (``portal.tables.Table``)
is also its export. ``ListExporter(table_class, queryset, user)`` writes the table's export columns
(headers in the user's language, choices as their labels, organization codes beside names) for
every row of ``queryset`` (already restricted and filtered by the page), each row prepared by the
table for that user (masked where the user may not see personal data)::

    return ListExporter(MemberTable, filterset.qs, request.user, filename="members").response("xlsx")

Every generic list page offers it (``ObjectListView``: ``?export=csv`` or ``?export=xlsx`` with the
page's current filter). Machine-readable exports (the member export of the API, whose columns are
the import's codes) declare ``ExportColumn``\\ s instead and call ``export_response``.

**Streaming.** Rows are read with ``queryset.iterator(chunk_size=...)`` (a server-side cursor on
PostgreSQL) and both formats are streamed as they are written: the download starts at once and
the browser shows its progress, whatever the row count, and memory stays flat. CSV is UTF-8 with
a BOM (so Chinese Excel opens it without mojibake); XLSX comes from ``portal.xlsx``.

**Reports** (``TitledReport``): a title, lines under it, a bold header, the rows and a bold totals
row, with column widths and the header kept in view: the tables a department sends upward.

Every cell is written safely: in CSV through ``portal.spreadsheets.csv_cells`` (a text starting
like a formula gets a leading ``'``), in XLSX as a typed cell of ``portal.xlsx`` (text is always a
text cell, never a formula).
"""

import csv
import io

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from portal import xlsx
from portal.spreadsheets import csv_cells
from portal.tables import Column

FORMATS = ("csv", "xlsx")
# The query parameter of a list page that asks for its export (``?export=xlsx``).
EXPORT_PARAM = "export"
CHUNK_SIZE = 2000
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = xlsx.CONTENT_TYPE
BOM = "\ufeff"
_ROWS_PER_PIECE = 500


class ExportColumn(Column):
    """A column of a machine-readable export: ``key`` (the header of a re-importable file), a
    translatable ``label`` (the header when an export asks for labels) and ``accessor``, an
    attribute path ("organization.code") or a callable. Values are read as stored (codes, not labels)."""

    choice_labels = False

    def __init__(self, key, label, accessor=None):
        super().__init__(accessor or key, label, key=key)

    def value(self, row):
        return self.typed_value(row)

    def export_value(self, row, labels=None):
        return self.typed_value(row)


class _Echo:
    """A file-like object whose ``write`` returns what it was given (csv.writer into a generator)."""

    def write(self, value):
        return value


class _Pipe:
    """A binary sink the XLSX writer writes into and a generator empties (zip works unseekable)."""

    def __init__(self):
        self.pieces = []

    def write(self, data):
        self.pieces.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def take(self):
        data = b"".join(self.pieces)
        self.pieces = []
        return data


def _in_language(pieces, language):
    """``pieces`` produced in ``language``: a streamed response is written after the view returned."""
    with translation.override(language):
        yield from pieces


def csv_text(header, rows):
    """A CSV file as a stream of text pieces: a BOM, the header row, then a piece per few hundred rows."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow(csv_cells(header))
    # Hand the server pieces of a few hundred rows, not one tiny piece per row.
    batch = []
    for values in rows:
        batch.append(writer.writerow(csv_cells(values)))
        if len(batch) >= _ROWS_PER_PIECE:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def xlsx_bytes(header, rows, title=None):
    """An XLSX file (one sheet named ``title``, the header row in bold and kept in view) as a stream of bytes."""
    pipe = _Pipe()
    writer = xlsx.XlsxWriter(pipe, title=title or gettext_lazy("Export"), freeze_rows=1)
    writer.write_row(header, xlsx.BOLD)
    for count, values in enumerate(rows, 1):
        writer.write_row(values)
        if count % _ROWS_PER_PIECE == 0 and pipe.pieces:
            yield pipe.take()
    writer.close()
    yield pipe.take()


def stamped(filename, file_format):
    return "{}-{}.{}".format(filename, timezone.localtime().strftime("%Y%m%d-%H%M"), file_format)


def file_response(header, rows, file_format, filename, title=None):
    """The streamed download of ``header`` and ``rows`` (an iterable of value lists) as CSV or XLSX."""
    language = translation.get_language()
    if file_format == "xlsx":
        pieces = xlsx_bytes(header, rows, title=title)
        content_type = XLSX_CONTENT_TYPE
    else:
        pieces = (piece.encode("utf-8") for piece in csv_text(header, rows))
        content_type = CSV_CONTENT_TYPE
    response = StreamingHttpResponse(_in_language(pieces, language), content_type=content_type)
    response["Content-Disposition"] = 'attachment; filename="{}"'.format(stamped(filename, file_format))
    return response


# --- lists ---------------------------------------------------------------------------------------


class ListExporter:
    """A list page's table as a file: its export columns, every row of ``queryset`` prepared for ``user``.

    ``queryset`` is what the page lists (restricted to what ``user`` may view and filtered), in the
    page's order; headers and choice labels are in the language active when the exporter is made.
    """

    def __init__(self, table_class, queryset, user, filename="export", title=None, chunk_size=CHUNK_SIZE):
        self.table = table_class([], user=user)
        self.columns = table_class.export_columns()
        self.queryset = queryset
        self.filename = filename
        self.title = title
        self.chunk_size = chunk_size

    def header(self):
        return [str(column.label) for column in self.columns]

    def rows(self):
        prepare, columns = self.table.prepare, self.columns
        labels = {}  # choice labels translated once for the whole file (see Column.typed_value)
        for row in self.queryset.iterator(chunk_size=self.chunk_size):
            row = prepare(row)
            yield [column.export_value(row, labels) for column in columns]

    def response(self, file_format):
        return file_response(self.header(), self.rows(), file_format, self.filename, title=self.title)


# --- machine-readable exports (declared columns) ---------------------------------------------------


def _header(columns, header):
    return [column.key if header == "keys" else str(column.label) for column in columns]


def _rows(queryset, columns, chunk_size):
    for row in queryset.iterator(chunk_size=chunk_size):
        yield [column.export_value(row) for column in columns]


def csv_chunks(queryset, columns, header="keys", chunk_size=CHUNK_SIZE):
    """The CSV file of ``queryset`` as a stream of text pieces (a BOM, the header row, the rows)."""
    return csv_text(_header(columns, header), _rows(queryset, columns, chunk_size))


def write_xlsx(queryset, columns, target, header="keys", chunk_size=CHUNK_SIZE, title=None):
    """Write the XLSX workbook of ``queryset`` to ``target`` (a path or binary file) row by row."""
    writer = xlsx.XlsxWriter(target, title=title or gettext_lazy("Export"), freeze_rows=1)
    writer.write_row(_header(columns, header), xlsx.BOLD)
    for values in _rows(queryset, columns, chunk_size):
        writer.write_row(values)
    writer.close()


def export_response(queryset, columns, file_format, filename, header="keys", chunk_size=CHUNK_SIZE, title=None):
    """The streamed download of ``queryset`` as ``filename``.csv or .xlsx (``file_format``).

    ``header="keys"`` heads each column with its key (a file that imports back), ``"labels"`` with
    its label in the user's language."""
    return file_response(
        _header(columns, header), _rows(queryset, columns, chunk_size), file_format, filename, title=title
    )


# --- titled reports ------------------------------------------------------------------------------


class TitledReport:
    """A report sheet: a title (large, bold), lines under it, an empty row, the header (bold,
    wrapped), the rows and, when ``totals`` names the columns to add up, a bold totals row.

    ``columns`` is a list of ``(header, width)``; rows are added with ``add`` (so a report can be
    written straight from a query); ``totals_label`` goes in ``totals_label_column``.
    """

    def __init__(self, title, columns, lines=(), sheet=None, totals=(), totals_label=None, totals_label_column=0):
        self.title = str(title)
        self.lines = [str(line) for line in lines]
        self.headers = [str(header) for header, _width in columns]
        self.widths = [width for _header, width in columns]
        self.sheet = sheet or title
        self.totals = {index: 0 for index in totals}
        self.totals_label = totals_label
        self.totals_label_column = totals_label_column
        self.rows = []

    def add(self, values):
        values = list(values)
        for index in self.totals:
            self.totals[index] += values[index] or 0
        self.rows.append(values)

    def header_rows(self):
        """How many rows come before the first data row (the header included)."""
        return 1 + len(self.lines) + 1 + 1

    def totals_row(self):
        row = [None] * len(self.headers)
        for index, total in self.totals.items():
            row[index] = total
        if self.totals_label is not None:
            row[self.totals_label_column] = str(self.totals_label)
        return row

    def write(self, target):
        writer = xlsx.XlsxWriter(target, title=self.sheet, widths=self.widths, freeze_rows=self.header_rows())
        writer.write_row([self.title], xlsx.TITLE)
        for line in self.lines:
            writer.write_row([line])
        writer.write_row([])
        writer.write_row(self.headers, xlsx.HEADER)
        for values in self.rows:
            writer.write_row(values)
        if self.totals or self.totals_label is not None:
            writer.write_row(self.totals_row(), xlsx.BOLD)
        writer.close()

    def content(self):
        buffer = io.BytesIO()
        self.write(buffer)
        return buffer.getvalue()

    def response(self, filename):
        """The report as an XLSX download named ``filename`` (without its extension)."""
        response = HttpResponse(self.content(), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = 'attachment; filename="{}.xlsx"'.format(filename)
        return response

