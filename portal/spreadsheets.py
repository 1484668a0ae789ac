"""Spreadsheets in and out: an uploaded CSV or XLSX read within limits, and cells written so that a
spreadsheet program shows them as text and never runs them as a formula.

**Reading** (every import goes through ``read_table``), each limit configurable (README
"Configuration") and each stopping the read where it is hit, with a message naming it:

* the file's size (``IMPORT_MAX_BYTES``) is checked before a byte of it is read;
* an XLSX file is a zip archive: before anything is unpacked, its directory's declared sizes are
  checked against ``IMPORT_MAX_UNCOMPRESSED_BYTES`` and each part's compression ratio against
  ``IMPORT_MAX_COMPRESSION_RATIO`` (a 300 KB "zip bomb" unpacking to gigabytes is refused here);
  while reading, every unpacked byte is counted against the same budget again (a directory can lie);
* the worksheet and its shared strings are parsed as a stream (expat, no DTD allowed), one cell's
  text at a time, so a cell beyond ``IMPORT_MAX_CELL_CHARS`` is refused before it is held in memory
  (openpyxl would build the whole 300 MB string first), and shared strings are kept compactly;
* reading stops at the first row beyond ``IMPORT_MAX_ROWS`` (blank rows count: a 2,000,000-row
  file of a few hundred kilobytes stops after the limit, it is not read to the end).

**Writing** (every CSV and XLSX the portal produces goes through ``csv_cells``/``xlsx_cells``),
as OWASP's "CSV injection" advice says: in CSV a text cell starting with ``= + - @``, a tab or a
carriage return gets a leading ``'`` so that Excel and LibreOffice show it instead of evaluating
it; in XLSX text cells are written as text (never as a formula or an error value) and numbers stay
numbers. ``read_table`` removes that ``'`` again, so an exported file imports back unchanged.
"""

import codecs
import csv
import datetime
import decimal
import io
import posixpath
import struct
import zipfile
from array import array
from dataclasses import dataclass
from operator import methodcaller
from xml.parsers import expat

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

XLSX_MAGIC = b"PK\x03\x04"
# Chinese Excel saves "CSV" in the local code page; GB18030 is a superset of GBK and GB2312.
FALLBACK_ENCODING = "gb18030"
_CHUNK = 1 << 16
# How often (in rows read) a listener such as an import job hears of the progress.
PROGRESS_EVERY_ROWS = 1000
# A workbook is a few dozen parts; tens of thousands only make the zip directory itself expensive.
MAX_ZIP_ENTRIES = 10_000
# Small parts (a few kilobytes of XML) may compress any amount; the ratio is checked above this.
RATIO_CHECKED_ABOVE_BYTES = 1 << 20
# Cells further right than this are not read (a roster has a dozen columns; Excel allows 16,384).
MAX_COLUMNS = 1000

# OWASP: a cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NEUTRALIZED = tuple("'" + trigger for trigger in FORMULA_TRIGGERS)


class SpreadsheetError(Exception):
    """The file as a whole cannot be read (empty, not CSV/XLSX, broken, or beyond a limit)."""


class LimitExceeded(SpreadsheetError):
    """The file is beyond one of the import limits; ``row`` is the data row where reading stopped (0: the file)."""

    def __init__(self, message, row=0):
        super().__init__(message)
        self.row = row


class _CellTooLong(Exception):
    """Raised inside a reader at a cell beyond the limit; ``Table`` turns it into ``LimitExceeded``."""

    def __init__(self, row, column):
        super().__init__(row, column)
        self.row = row
        self.column = column


@dataclass(frozen=True)
class ReadLimits:
    """The limits of one read (``from_settings()``: the configured ones)."""

    max_bytes: int
    max_rows: int
    max_cell_chars: int
    max_uncompressed_bytes: int
    max_compression_ratio: int

    @classmethod
    def from_settings(cls):
        return cls(
            max_bytes=settings.IMPORT_MAX_BYTES,
            max_rows=settings.IMPORT_MAX_ROWS,
            max_cell_chars=settings.IMPORT_MAX_CELL_CHARS,
            max_uncompressed_bytes=settings.IMPORT_MAX_UNCOMPRESSED_BYTES,
            max_compression_ratio=settings.IMPORT_MAX_COMPRESSION_RATIO,
        )


# --- limits and their messages -------------------------------------------------------------------


def _too_big(size, limits):
    return LimitExceeded(
        _("The file is {size}; files up to {limit} can be imported (IMPORT_MAX_BYTES). Split it and import the parts.").format(
            size=filesizeformat(size), limit=filesizeformat(limits.max_bytes)
        )
    )


def _unpacks_too_big(limits):
    return LimitExceeded(
        _("The XLSX file unpacks to more than {limit} (IMPORT_MAX_UNCOMPRESSED_BYTES); it is not read.").format(
            limit=filesizeformat(limits.max_uncompressed_bytes)
        )
    )


def _too_many_rows(row, limits):
    return LimitExceeded(
        _("Row {row} is beyond the limit of {limit} rows per file (IMPORT_MAX_ROWS); reading stopped there. Split the file and import the parts.").format(
            row=row, limit=limits.max_rows
        ),
        row=row,
    )


def check_size(uploaded, limits=None):
    """Refuse ``uploaded`` (an UploadedFile or a binary file) when it is over ``IMPORT_MAX_BYTES``,
    without reading it. Returns its size."""
    limits = limits or ReadLimits.from_settings()
    size = getattr(uploaded, "size", None)
    if size is None:
        binary = _open_binary(uploaded)
        size = binary.seek(0, io.SEEK_END)
        binary.seek(0)
    if size > limits.max_bytes:
        raise _too_big(size, limits)
    return size


def content_size(uploaded, limits=None):
    """The amount of text an import of ``uploaded`` parses: a CSV's size, an XLSX's declared unpacked
    size (read from the zip directory only). Decides whether an import runs as a background job."""
    limits = limits or ReadLimits.from_settings()
    size = check_size(uploaded, limits)
    binary = _open_binary(uploaded)
    if binary.read(len(XLSX_MAGIC)) != XLSX_MAGIC:
        binary.seek(0)
        return size
    binary.seek(0)
    package = _XlsxPackage(binary, limits)
    try:
        return package.declared_size
    finally:
        package.close()
        binary.seek(0)


# --- reading -------------------------------------------------------------------------------------


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
        chunk = binary.read(1 << 20)
        if b"\x00" in chunk:
            raise SpreadsheetError(_("The file contains NUL characters; it is not a text file."))
        if encoding == "utf-8-sig":
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                encoding = FALLBACK_ENCODING
        if not chunk:
            break
    binary.seek(0)
    return encoding


def restore_text(text):
    """``text`` as it was before ``neutralize``: a leading ``'`` before ``= + - @``, tab or CR removed."""
    return text[1:] if text.startswith(_NEUTRALIZED) else text


_is_neutralized = methodcaller("startswith", _NEUTRALIZED)


class Table:
    """An uploaded table being read: ``header`` (the first non-blank row, cells trimmed and lower
    case) and ``rows``, an iterator of ``(row_number, cells)`` for every non-blank data row, with
    ``row_number`` the 1-based data row (the row after the header is 1; blank rows are skipped but
    counted), so a message points at the line a user sees in Excel (Excel line = row + header's line).

    ``rows_read`` counts the rows the reader has parsed so far (blank ones too): reading stops at
    the first row beyond the row limit, it never reads the rest of the file.
    """

    def __init__(self, source, limits, progress=None):
        self._source = source
        self._limits = limits
        self._progress = progress
        self.header = None
        self._header_line = 0
        lines = iter(source)
        for line, cells in self._checked(lines, header=True):
            if any(cell.strip() for cell in cells):
                self.header = [restore_text(cell.strip()).lower() for cell in cells]
                self._header_line = line
                break
        if self.header is None:
            raise SpreadsheetError(_("The file is empty."))
        # Cells right of the header belong to no column: not worth reading.
        source.width = len(self.header)
        self.rows = self._data_rows(lines)

    @property
    def rows_read(self):
        return self._source.rows_read

    @property
    def bytes_unpacked(self):
        """Bytes of the XLSX archive unpacked so far (0 for a CSV)."""
        return getattr(self._source, "bytes_unpacked", 0)

    def _column_name(self, column):
        if column is None:
            return "?"
        if self.header and column <= len(self.header) and self.header[column - 1]:
            return self.header[column - 1]
        return get_column_letter(min(column, 16384))

    def _checked(self, lines, header=False):
        """The lines before the header, checked against the limits like data rows."""
        limit = self._limits.max_cell_chars
        while True:
            try:
                line, cells = next(lines)
            except StopIteration:
                return
            except _CellTooLong as too_long:
                raise self._cell_error(too_long.row, too_long.column, header) from None
            if line > self._limits.max_rows:
                # Only blank lines so far: a file of millions of empty rows stops here too.
                raise _too_many_rows(line, self._limits)
            if cells and max(map(len, cells)) > limit:
                raise self._cell_error(line, None, header)
            yield line, cells

    def _cell_error(self, line, column, header):
        limit = self._limits.max_cell_chars
        if header or line <= self._header_line:
            return LimitExceeded(
                _("The header row has a cell of more than {limit} characters (IMPORT_MAX_CELL_CHARS).").format(limit=limit)
            )
        row = line - self._header_line
        return LimitExceeded(
            _("Row {row}, column {column}: the cell has more than {limit} characters (IMPORT_MAX_CELL_CHARS); reading stopped there.").format(
                row=row, column=self._column_name(column), limit=limit
            ),
            row=row,
        )

    def _data_rows(self, lines):
        # One loop for every check: it runs once per row of files of 100,000 rows and more.
        header_line = self._header_line
        max_line = header_line + self._limits.max_rows
        limit = self._limits.max_cell_chars
        source = self._source
        progress = self._progress
        next_report = PROGRESS_EVERY_ROWS
        while True:
            try:
                line, cells = next(lines)
            except StopIteration:
                if progress is not None:
                    progress(source.rows_read)
                return
            except _CellTooLong as too_long:
                raise self._cell_error(too_long.row, too_long.column, False) from None
            if line > max_line:
                raise _too_many_rows(line - header_line, self._limits)
            if progress is not None and source.rows_read >= next_report:
                progress(source.rows_read)
                next_report = source.rows_read + PROGRESS_EVERY_ROWS
            if not cells:
                continue
            # The whole row within the cell limit settles it without looking at each cell.
            joined = "".join(cells)
            if len(joined) > limit and max(map(len, cells)) > limit:
                column = next(index for index, cell in enumerate(cells, start=1) if len(cell) > limit)
                raise self._cell_error(line, column, False)
            if not joined.strip():
                continue  # a blank row: counted, not handed out
            if "'" in joined and any(map(_is_neutralized, cells)):
                cells = [restore_text(cell) for cell in cells]
            yield line - header_line, cells


def read_table(uploaded, limits=None):
    """Open ``uploaded`` (an UploadedFile or a seekable binary file, CSV or XLSX) as a ``Table``.

    Raises ``SpreadsheetError`` for a file that cannot be read and ``LimitExceeded`` for one beyond
    a limit, at once or while its rows are iterated. An ``uploaded`` with a ``report_rows(n)``
    method hears every ``PROGRESS_EVERY_ROWS`` rows how many have been read (import jobs).
    """
    limits = limits or ReadLimits.from_settings()
    check_size(uploaded, limits)
    binary = _open_binary(uploaded)
    start = binary.read(len(XLSX_MAGIC))
    binary.seek(0)
    if not start:
        raise SpreadsheetError(_("The file is empty."))
    source = _XlsxSource(binary, limits) if start == XLSX_MAGIC else _CsvSource(binary, limits)
    return Table(source, limits, progress=getattr(uploaded, "report_rows", None))


class _CsvSource:
    """The records of a CSV file, numbered from 1."""

    def __init__(self, binary, limits):
        self.binary = binary
        self.limits = limits
        self.width = MAX_COLUMNS
        self.rows_read = 0

    def __iter__(self):
        encoding = detect_encoding(self.binary)
        text = io.TextIOWrapper(self.binary, encoding=encoding, newline="")
        try:
            for cells in csv.reader(text):
                self.rows_read += 1
                if len(cells) > self.width:
                    del cells[self.width:]
                yield self.rows_read, cells
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                # csv's own cap (128 KiB) is above ours: the same message as any long cell.
                raise _CellTooLong(self.rows_read + 1, None) from None
            raise SpreadsheetError(_("The CSV file cannot be read: {reason}").format(reason=error)) from None
        except UnicodeDecodeError:
            raise SpreadsheetError(_("The file is neither UTF-8 nor GBK text; save it as CSV UTF-8 or as XLSX.")) from None
        finally:
            # Hand the binary file back to its owner instead of closing it with the wrapper (unless
            # the owner closed it already: a table abandoned half-read is closed when collected).
            try:
                text.detach()
            except ValueError:
                pass


# --- XLSX ----------------------------------------------------------------------------------------

_RELATIONSHIP_TYPES = {
    "officeDocument": "/officeDocument",
    "worksheet": "/worksheet",
    "sharedStrings": "/sharedStrings",
    "styles": "/styles",
}
_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record
_EOCD_SIGNATURE = b"PK\x05\x06"


def _unreadable(reason):
    return SpreadsheetError(_("The XLSX file cannot be read: {reason}").format(reason=reason))


def _zip_entry_count(binary):
    """The number of entries the zip's end record declares, read before zipfile parses the directory."""
    size = binary.seek(0, io.SEEK_END)
    tail_size = min(size, _EOCD.size + 0xFFFF)
    binary.seek(size - tail_size)
    tail = binary.read(tail_size)
    binary.seek(0)
    position = tail.rfind(_EOCD_SIGNATURE)
    if position < 0 or len(tail) - position < _EOCD.size:
        raise _unreadable(_("it is not a zip archive"))
    fields = _EOCD.unpack_from(tail, position)
    return fields[4]  # entries in the central directory in total


class _XlsxPackage:
    """The zip archive of an XLSX file: checked before anything is unpacked, then read part by part
    with every unpacked byte counted."""

    def __init__(self, binary, limits):
        self.limits = limits
        self.bytes_unpacked = 0
        entries = _zip_entry_count(binary)
        if entries > MAX_ZIP_ENTRIES:
            raise _unreadable(_("it has {count} parts, more than a workbook has").format(count=entries))
        try:
            self.zip = zipfile.ZipFile(binary)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
            raise _unreadable(error) from None
        self._check_declared_sizes()
        self.names = set(self.zip.namelist())

    @property
    def declared_size(self):
        return sum(info.file_size for info in self.zip.infolist())

    def _check_declared_sizes(self):
        limits = self.limits
        if self.declared_size > limits.max_uncompressed_bytes:
            raise _unpacks_too_big(limits)
        for info in self.zip.infolist():
            if info.file_size > RATIO_CHECKED_ABOVE_BYTES and info.file_size > limits.max_compression_ratio * max(info.compress_size, 1):
                raise LimitExceeded(
                    _("The XLSX file's part {part} unpacks to {ratio} times its packed size, more than the {limit} times allowed (IMPORT_MAX_COMPRESSION_RATIO); it is not read.").format(
                        part=info.filename, ratio=info.file_size // max(info.compress_size, 1), limit=limits.max_compression_ratio
                    )
                )

    def stream(self, name):
        """The unpacked bytes of part ``name``, chunk by chunk, counted against the budget."""
        limit = self.limits.max_uncompressed_bytes
        try:
            with self.zip.open(name) as part:
                while True:
                    chunk = part.read(_CHUNK)
                    if not chunk:
                        return
                    self.bytes_unpacked += len(chunk)
                    if self.bytes_unpacked > limit:
                        raise _unpacks_too_big(self.limits)
                    yield chunk
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as error:
            raise _unreadable(error) from None
        except Exception as error:  # noqa: BLE001 - zlib.error and friends from a corrupt part
            if isinstance(error, (LimitExceeded, _CellTooLong, GeneratorExit)):
                raise
            raise _unreadable(error) from None

    def close(self):
        self.zip.close()


def _refuse_dtd(*_args):
    # OOXML never has a DTD; entity declarations are how "billion laughs" bombs expand.
    raise _unreadable(_("it declares a DTD"))


def _parser(start=None, end=None, text=None):
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.buffer_text = True
    parser.buffer_size = _CHUNK
    if start:
        parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if text:
        parser.CharacterDataHandler = text
    return parser


def _feed(parser, chunks):
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
            yield
        parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise _unreadable(error) from None
    yield


_LOCAL_NAMES = {}


def _local(name):
    """The local part of an expat ``"namespace local"`` name (cached: a sheet repeats a few names)."""
    local = _LOCAL_NAMES.get(name)
    if local is None:
        local = _LOCAL_NAMES[name] = name.rpartition(" ")[2]
    return local


def _attribute(attributes, local_name):
    for name, value in attributes.items():
        if _local(name) == local_name:
            return value
    return None


def _part_path(base, target):
    """The archive path of a relationship's ``target``, relative to the part at ``base``."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def _rels_path(part):
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


class _SharedStrings:
    """The workbook's shared strings, kept as joined blocks with an array of offsets: a few bytes
    per string instead of a Python object each (a table of millions of tiny strings would cost
    gigabytes). Strings beyond the cell limit are kept as their index only."""

    BLOCK = 1024

    def __init__(self):
        self._blocks = []
        self._pending = []
        self.too_long = set()
        self.count = 0

    def append(self, text):
        self._pending.append(text)
        self.count += 1
        if len(self._pending) == self.BLOCK:
            self._seal()

    def _seal(self):
        ends = array("L")
        position = 0
        for text in self._pending:
            position += len(text)
            ends.append(position)
        self._blocks.append(("".join(self._pending), ends))
        self._pending = []

    def finish(self):
        if self._pending:
            self._seal()

    def __getitem__(self, index):
        if index < 0 or index >= self.count:
            raise IndexError(index)
        block, offset = divmod(index, self.BLOCK)
        text, ends = self._blocks[block]
        return text[ends[offset - 1] if offset else 0:ends[offset]]


class _XlsxSource:
    """The rows of the first worksheet of an XLSX file as ``(line, cells)``, ``line`` the 1-based
    row number Excel shows, cells as text as a user typed them (dates ISO, whole numbers without ``.0``)."""

    def __init__(self, binary, limits):
        self.limits = limits
        self.width = MAX_COLUMNS
        self.rows_read = 0
        self.package = _XlsxPackage(binary, limits)
        try:
            self._locate_parts()
            self.shared_strings = self._read_shared_strings()
            self.date_styles, self.duration_styles = self._read_styles()
        except BaseException:
            self.package.close()
            raise

    @property
    def bytes_unpacked(self):
        return self.package.bytes_unpacked

    # The parts: package relationships -> workbook -> its relationships -> first sheet, strings, styles.

    def _relationships(self, part):
        path = _rels_path(part)
        found = []
        if path not in self.package.names:
            return found

        def start(name, attributes):
            if _local(name) == "Relationship":
                found.append((attributes.get("Id"), attributes.get("Type", ""), attributes.get("Target", "")))

        for _step in _feed(_parser(start=start), self.package.stream(path)):
            pass
        return [(identifier, kind, _part_path(part, target)) for identifier, kind, target in found]

    def _locate_parts(self):
        workbook = next(
            (target for _id, kind, target in self._relationships("") if kind.endswith(_RELATIONSHIP_TYPES["officeDocument"])),
            "xl/workbook.xml",
        )
        if workbook not in self.package.names:
            raise _unreadable(_("it has no workbook"))
        sheets = []
        self.epoch_1904 = False

        def start(name, attributes):
            local = _local(name)
            if local == "sheet":
                sheets.append(_attribute(attributes, "id"))
            elif local == "workbookPr":
                self.epoch_1904 = attributes.get("date1904", "").lower() in ("1", "true")

        for _step in _feed(_parser(start=start), self.package.stream(workbook)):
            pass
        relationships = self._relationships(workbook)
        targets = {identifier: (kind, target) for identifier, kind, target in relationships}
        self.sheet = None
        for identifier in sheets:
            kind, target = targets.get(identifier, ("", ""))
            if kind.endswith(_RELATIONSHIP_TYPES["worksheet"]) and target in self.package.names:
                self.sheet = target
                break
        if self.sheet is None:
            raise SpreadsheetError(_("The file is empty."))
        self.strings_part = next(
            (t for _i, kind, t in relationships if kind.endswith(_RELATIONSHIP_TYPES["sharedStrings"]) and t in self.package.names), None
        )
        self.styles_part = next(
            (t for _i, kind, t in relationships if kind.endswith(_RELATIONSHIP_TYPES["styles"]) and t in self.package.names), None
        )

    def _read_shared_strings(self):
        strings = _SharedStrings()
        if self.strings_part is None:
            return strings
        limit = self.limits.max_cell_chars
        state = {"depth_phonetic": 0, "collect": False, "parts": [], "length": 0}

        def start(name, attributes):
            local = _local(name)
            if local == "si":
                state["parts"] = []
                state["length"] = 0
            elif local == "t":
                state["collect"] = not state["depth_phonetic"]
            elif local == "rPh":
                state["depth_phonetic"] += 1

        def end(name):
            local = _local(name)
            if local == "t":
                state["collect"] = False
            elif local == "rPh":
                state["depth_phonetic"] -= 1
            elif local == "si":
                if state["length"] > limit:
                    strings.too_long.add(strings.count)
                    strings.append("")
                else:
                    # As openpyxl reads them (it drops the escape of an escaped underscore).
                    strings.append("".join(state["parts"]).replace("x005F_", ""))

        def text(data):
            if state["collect"]:
                state["length"] += len(data)
                if state["length"] <= limit:
                    state["parts"].append(data)

        for _step in _feed(_parser(start, end, text), self.package.stream(self.strings_part)):
            pass
        strings.finish()
        return strings

    def _read_styles(self):
        """The cell styles (indices, as text) whose number format is a date, and those of durations."""
        if self.styles_part is None:
            return frozenset(), frozenset()
        custom, formats = {}, []
        state = {"in_cell_xfs": False}

        def start(name, attributes):
            local = _local(name)
            if local == "numFmt":
                try:
                    custom[int(attributes.get("numFmtId", "-1"))] = attributes.get("formatCode", "")
                except ValueError:
                    pass
            elif local == "cellXfs":
                state["in_cell_xfs"] = True
            elif local == "xf" and state["in_cell_xfs"]:
                try:
                    formats.append(int(attributes.get("numFmtId", "0")))
                except ValueError:
                    formats.append(0)

        def end(name):
            if _local(name) == "cellXfs":
                state["in_cell_xfs"] = False

        for _step in _feed(_parser(start, end), self.package.stream(self.styles_part)):
            pass
        dates, durations = set(), set()
        for index, format_id in enumerate(formats):
            code = custom.get(format_id) or BUILTIN_FORMATS.get(format_id) or ""
            if code and is_date_format(code):
                dates.add(str(index))
                if is_timedelta_format(code):
                    durations.add(str(index))
        return frozenset(dates), frozenset(durations)

    # The worksheet, streamed.

    def __iter__(self):
        self.epoch = CALENDAR_MAC_1904 if self.epoch_1904 else CALENDAR_WINDOWS_1900
        limit = self.limits.max_cell_chars
        ready = []
        # One dict of the parse state: the handlers run millions of times, closures over locals are fastest.
        row = {"line": 0, "cells": None, "column": 0, "type": "n", "style": None, "parts": None, "length": 0,
               "collect": False, "inline": False, "phonetic": 0, "too_long": None}

        def start(name, attributes):
            local = _LOCAL_NAMES.get(name) or _local(name)
            if local == "c":
                reference = attributes.get("r")
                row["column"] = _column_index(reference) if reference else row["column"] + 1
                row["type"] = attributes.get("t", "n")
                row["style"] = attributes.get("s")
                row["parts"] = []
                row["length"] = 0
            elif local == "v":
                row["collect"] = row["type"] != "inlineStr"
            elif local == "row":
                reference = attributes.get("r")
                row["line"] = int(reference) if reference and reference.isdigit() else row["line"] + 1
                row["cells"] = {}
                row["column"] = 0
            elif local == "is":
                row["inline"] = True
            elif local == "t":
                row["collect"] = row["inline"] and not row["phonetic"]
            elif local == "rPh":
                row["phonetic"] += 1

        def end(name):
            local = _LOCAL_NAMES.get(name) or _local(name)
            if local == "c":
                row["collect"] = False
                column = row["column"]
                if row["parts"] and column <= self.width and not row["too_long"]:
                    try:
                        value = self._cell_text(row, "".join(row["parts"]))
                    except _CellTooLong:
                        row["too_long"] = (row["line"], column)
                        return
                    if value:
                        row["cells"][column] = value
            elif local == "v" or local == "t":
                row["collect"] = False
            elif local == "row":
                if row["too_long"]:
                    return  # the rows before it are handed out first, then the error
                cells = row["cells"] or {}
                values = [""] * max(cells, default=0)
                for column, value in cells.items():
                    values[column - 1] = value
                self.rows_read += 1
                ready.append((row["line"], values))
                row["cells"] = None
            elif local == "is":
                row["inline"] = False
            elif local == "rPh":
                row["phonetic"] -= 1

        def text(data):
            if row["collect"]:
                row["length"] += len(data)
                if row["length"] > limit:
                    # Keep nothing more of it; the read stops after this chunk.
                    row["collect"] = False
                    row["too_long"] = (row["line"], row["column"])
                    return
                row["parts"].append(data)

        try:
            for _step in _feed(_parser(start, end, text), self.package.stream(self.sheet)):
                if ready:
                    yield from ready
                    ready.clear()
                if row["too_long"]:
                    raise _CellTooLong(*row["too_long"])
        finally:
            self.package.close()

    def _cell_text(self, row, text):
        """A cell's text as a user typed it (as ``openpyxl`` with ``data_only`` would give it)."""
        kind = row["type"]
        try:
            if kind == "n":
                if not text:
                    return ""
                number = float(text) if ("." in text or "e" in text or "E" in text) else int(text)
                style = row["style"]
                if style is not None and style in self.date_styles:
                    return self._temporal_text(number, style in self.duration_styles)
                return _number_text(number)
            if kind == "s":
                index = int(text)
                if index in self.shared_strings.too_long:
                    raise _CellTooLong(row["line"], row["column"])
                return self.shared_strings[index]
            if kind == "b":
                return "true" if text.strip() not in ("0", "false", "") else "false"
            if kind == "d":
                return _value_text(from_ISO8601(text))
            return text  # str (a formula's cached text), inlineStr, e (an error such as #N/A)
        except (ValueError, IndexError) as error:
            raise _unreadable(_("cell {cell}: {reason}").format(cell=_cell_name(row), reason=error)) from None

    def _temporal_text(self, number, duration):
        try:
            return _value_text(from_excel(number, self.epoch, timedelta=duration))
        except (OverflowError, ValueError):
            return "#VALUE!"


def _cell_name(row):
    return "{}{}".format(get_column_letter(max(1, min(row["column"], 16384))), row["line"])


def _column_index(reference):
    """1 for ``A7``, 28 for ``AB7``."""
    index = 0
    for char in reference:
        code = ord(char) - 64
        if 1 <= code <= 26:
            index = index * 26 + code
        else:
            break
    return index


def _number_text(number):
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return str(number)


def _value_text(value):
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


# --- writing -------------------------------------------------------------------------------------


def neutralize(text):
    """``text`` safe for a CSV cell: a leading ``'`` when it starts like a formula (OWASP)."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def cell_text(value):
    """A value as export text: dates ISO, booleans true/false, lists joined with ';', None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ";".join(str(item) for item in value)
    return str(value)


_NUMBERS = (int, float, decimal.Decimal)


def csv_cells(values):
    """One CSV row's cells: numbers as they are (``-1`` stays a number), every text neutralized."""
    cells = []
    for value in values:
        if type(value) is str:  # most cells: the quickest path first
            cells.append("'" + value if value.startswith(FORMULA_TRIGGERS) else value)
        elif isinstance(value, _NUMBERS) and not isinstance(value, bool):
            cells.append(str(value))
        else:
            cells.append(neutralize(cell_text(value)))
    return cells


def _xlsx_text(sheet, text):
    if ILLEGAL_CHARACTERS_RE.search(text):
        # Control characters have no place in an XLSX file (openpyxl refuses the whole export).
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if text[:1] in ("=", "#"):
        # openpyxl would store "=..." as a formula and "#N/A" as an error value: a text cell instead.
        cell = Cell(sheet, row=1, column=1)
        cell.value = text
        cell.data_type = "s"
        return cell
    return text


def xlsx_cells(sheet, values):
    """One XLSX row's cells for ``sheet.append`` (normal or write-only sheet): text as text cells,
    numbers, dates (local time, Excel has no time zones) and booleans as themselves."""
    cells = []
    for value in values:
        if value is None or isinstance(value, (bool, int, float, decimal.Decimal)):
            cells.append(value)
        elif isinstance(value, datetime.datetime):
            cells.append(timezone.localtime(value).replace(tzinfo=None) if value.tzinfo is not None else value)
        elif isinstance(value, (datetime.date, datetime.time)):
            cells.append(value)
        elif isinstance(value, (list, tuple)):
            cells.append(_xlsx_text(sheet, ";".join(str(item) for item in value)))
        else:
            cells.append(_xlsx_text(sheet, str(value)))
    return cells
