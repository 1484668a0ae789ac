"""Bulk import and export of the member roster (API.md "Import").

* ``reading``: an uploaded CSV (UTF-8 with or without BOM, or GBK/GB18030 as Chinese Excel writes it)
  or XLSX file, streamed row by row as dicts of text.
* ``rules``: one row checked against the roster's rules, with the messages the roster uses.
* ``importer``: the whole run: stream, validate, ``COPY`` the rows into a temporary table, check
  across rows in SQL (ID numbers twice in the file, members being updated and the caller's right
  to change them), then ``UPDATE ... FROM`` and ``INSERT ... SELECT`` in one transaction; one bad
  row and nothing is written.
* ``export``: the member list as CSV or XLSX, masked for roles without ``view_personal``.
* ``views``, ``api``: the import page and ``POST /api/v1/members/import/``, the export page link
  and ``GET /api/v1/members/export/``.
"""
