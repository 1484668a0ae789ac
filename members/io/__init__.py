"""Bulk import and export of the member roster (API.md "Import").

* ``rules``: the roster file's columns (their parsers, and the labels an export writes, accepted as
  headers too) and the roster's rules on one row (``Member.clean()``, with a fast path).
* ``importer``: ``MemberImporter``, the member import declared on the portal's importer
  (``portal.importer``: stream, check, ``COPY`` into a temporary table, check across rows in SQL,
  then ``UPDATE ... FROM`` and ``INSERT ... SELECT`` in one transaction; one bad row and nothing is
  written), with the roster's refusal allowance for ID numbers outside the caller's scope.
* ``export``: the member list as CSV or XLSX, masked for roles without ``view_personal``.
* ``views``, ``api``: the import page (the portal's import pages) and ``POST /api/v1/members/import/``,
  the export page link and ``GET /api/v1/members/export/``.
"""
