"""Benchmark of the member exports (CSV and XLSX) against PostgreSQL's own COPY of the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/export_bench.py [--rows 100000]

In a scratch database of its own, ``<database>_export_bench`` (dropped and re-created each run
unless ``--keep-database``), it loads ``--rows`` members through the real import (the world and the
rows of ``bench/import_bench.py``), then times, each as a request would run it, all rows:

1. the **baseline**: ``COPY (SELECT <the same columns> ...) TO STDOUT (FORMAT csv)``, read to the end;
2. the rows alone: the export's query and its columns (masking included), no file written;
3. the **API/page member export** (``members.io.export.export_members``) as CSV and as XLSX;
4. the same rows written by each XLSX writer: the portal's own (``portal.xlsx``), openpyxl's
   write-only mode and xlsxwriter's constant-memory mode (when xlsxwriter is installed);
5. the readable list export (``ListExporter`` of the member list's table, labels and masking) as XLSX.

Each download is consumed to the end, as the web server would send it, and its size printed.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import import_bench  # noqa: E402  (the world, the rows and the Django set-up of the import benchmark)

SCRATCH_SUFFIX = "_export_bench"


def scratch_url(url):
    parts = urlsplit(url)
    name = (parts.path.lstrip("/") or "postgres") + SCRATCH_SUFFIX
    return urlunsplit(parts._replace(path="/" + name)), name


def consume(response):
    size = 0
    for piece in response.streaming_content if response.streaming else [response.content]:
        size += len(piece)
    response.close()
    return size


def timed(label, run, results):
    started = time.perf_counter()
    size = run()
    elapsed = time.perf_counter() - started
    results.append((label, elapsed, size))
    print("  {:<58} {:7.2f} s {:>10}".format(label, elapsed, "{:.1f} MB".format(size / 1e6) if size else ""), flush=True)


def copy_to():
    """The floor: PostgreSQL writes the same columns as CSV itself."""
    from django.db import connection

    sql = (
        "COPY (SELECT m.id, m.name, m.gender, m.birth_date, m.id_number, m.phone, o.code, m.status, m.joined_on,"
        " m.full_member_on, array_to_string(m.categories, ';'), m.activity_status, m.enterprise, m.is_pocket"
        " FROM members_member m JOIN members_organization o ON o.id = m.organization_id"
        " ORDER BY o.path, m.name, m.id) TO STDOUT (FORMAT csv, HEADER)"
    )
    size = 0
    with connection.cursor() as cursor:
        with cursor.connection.cursor().copy(sql) as copy:
            for block in copy:
                size += len(block)
    return size


def member_rows(user):
    from members.io.export import export_queryset, member_columns
    from members.models import Member

    columns = member_columns(user)
    header = [column.key for column in columns]
    rows = (
        [column.export_value(row) for column in columns]
        for row in export_queryset(Member.objects.all()).iterator(chunk_size=2000)
    )
    return header, rows


def rows_only(user):
    _header, rows = member_rows(user)
    for _row in rows:
        pass
    return 0


def portal_xlsx(user, directory):
    from portal import xlsx

    header, rows = member_rows(user)
    path = os.path.join(directory, "portal.xlsx")
    writer = xlsx.XlsxWriter(path, title="members", freeze_rows=1)
    writer.write_row(header, xlsx.BOLD)
    for values in rows:
        writer.write_row(values)
    writer.close()
    return os.path.getsize(path)


def openpyxl_xlsx(user, directory):
    from openpyxl import Workbook

    from portal.spreadsheets import xlsx_cells

    header, rows = member_rows(user)
    path = os.path.join(directory, "openpyxl.xlsx")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="members")
    sheet.append(xlsx_cells(sheet, header))
    for values in rows:
        sheet.append(xlsx_cells(sheet, values))
    workbook.save(path)
    return os.path.getsize(path)


def xlsxwriter_xlsx(user, directory):
    import datetime

    import xlsxwriter

    header, rows = member_rows(user)
    path = os.path.join(directory, "xlsxwriter.xlsx")
    options = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    workbook = xlsxwriter.Workbook(path, options)
    sheet = workbook.add_worksheet("members")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    write_string, write_number = sheet.write_string, sheet.write_number
    write_boolean, write_datetime = sheet.write_boolean, sheet.write_datetime
    for column, text in enumerate(header):
        write_string(0, column, text)
    for line, values in enumerate(rows, 1):
        for column, value in enumerate(values):
            kind = type(value)
            if kind is str:
                write_string(line, column, value)  # always text: never a formula
            elif value is None:
                continue
            elif kind is bool:
                write_boolean(line, column, value)
            elif kind is int or kind is float:
                write_number(line, column, value)
            elif isinstance(value, datetime.date):
                write_datetime(line, column, value, date_format)
            else:
                write_string(line, column, str(value))
    workbook.close()
    return os.path.getsize(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep-database", action="store_true", help="reuse the scratch database (and its members)")
    arguments = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("Set DATABASE_URL to a PostgreSQL server (postgres://user@host:port/db).")
    bench_url, bench_name = scratch_url(url)
    if not arguments.keep_database:
        print("scratch database {} ...".format(bench_name), flush=True)
        import_bench.recreate_database(url, bench_name)
    import_bench.setup_django(bench_url)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import translation

    from members.io.export import export_members
    from members.models import Member
    from members.tables import MemberTable
    from portal.export import ListExporter

    if not arguments.keep_database:
        call_command("migrate", verbosity=0)
        codes = import_bench.build_world()
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "members.csv")
            import_bench.write_rows(path, arguments.rows, codes)
            import_bench.run_import(path)
    user = get_user_model().objects.get(username="bench_admin")
    count = Member.objects.count()
    print("exporting {} members (best of one run each; other work on the machine shows):".format(count), flush=True)
    results = []
    with tempfile.TemporaryDirectory() as directory:
        timed("baseline: COPY ... TO STDOUT (csv)", copy_to, results)
        timed("the export's rows alone (query, columns, masking)", lambda: rows_only(user), results)
        timed("member export CSV (export_members, streamed)", lambda: consume(export_members(Member.objects.all(), user, "csv")), results)
        timed("member export XLSX (export_members, portal.xlsx, streamed)", lambda: consume(export_members(Member.objects.all(), user, "xlsx")), results)
        timed("  same rows, writer: portal.xlsx", lambda: portal_xlsx(user, directory), results)
        timed("  same rows, writer: openpyxl write-only", lambda: openpyxl_xlsx(user, directory), results)
        try:
            import xlsxwriter  # noqa: F401
        except ImportError:
            print("  (xlsxwriter is not installed: pip install xlsxwriter to compare it)")
        else:
            timed("  same rows, writer: xlsxwriter constant_memory", lambda: xlsxwriter_xlsx(user, directory), results)
        queryset = list_queryset(Member)
        with translation.override("zh-hans"):
            timed("readable list export XLSX (ListExporter, zh-hans)",
                  lambda: consume(ListExporter(MemberTable, queryset, user, filename="members").response("xlsx")), results)
    baseline = results[0][1]
    print("ratios to the COPY baseline: " + ", ".join(
        "{} {:.1f}x".format(label.split("(")[0].strip(), seconds / baseline) for label, seconds, _size in results[1:4]))


def list_queryset(member_model):
    """The member list page's queryset (organization joined, transit flag), as its export reads it."""
    return member_model.objects.select_related("organization").all().with_transit().order_by("organization__path", "name", "pk")


if __name__ == "__main__":
    main()
