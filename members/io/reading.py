"""Reading an uploaded roster file (CSV or XLSX) one row at a time, within the import limits.

The reading itself is the portal's (``portal.spreadsheets``: file size, rows, cell length and the
zip-bomb checks of an XLSX, each stopping the read where it is hit; the ``'`` an export puts before
a formula-like text is removed). Rows come out as ``(row_number, [cell text, ...])`` with
``row_number`` the 1-based data row (the row after the header is 1), so a message can point at the
line a user sees in Excel (Excel line = row + 1). Blank rows are skipped but still counted.
"""

from portal import spreadsheets

# A limit beyond which the file is not read is a FileError too: the import reports it for the file.
FileError = spreadsheets.SpreadsheetError
LimitExceeded = spreadsheets.LimitExceeded
detect_encoding = spreadsheets.detect_encoding


def iter_table(uploaded):
    """``(header, rows)``: the header cells (trimmed, lower case) and an iterator of
    ``(row_number, cells)`` for every non-blank data row. Raises ``FileError`` for an empty file,
    one that cannot be read or one beyond a limit (also while ``rows`` is being iterated)."""
    table = spreadsheets.read_table(uploaded)
    return table.header, table.rows
