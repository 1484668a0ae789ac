"""Reading a 100,000-row roster XLSX: the portal's streaming reader against python-calamine and
openpyxl's read-only mode (issue 9: "consider python-calamine if it is faster; measure it").

    .venv/bin/python bench/xlsx_read_bench.py [--rows 100000]

Each reader runs in a fresh process (peak RSS is per process) and reads every cell as text. The
portal's reader (``portal.spreadsheets.read_table``) also applies the import limits while reading
(file size, zip directory and ratio, unpacked bytes, rows, cell length) and stops at the first one
hit; calamine loads a whole sheet into memory before handing out the first row. python-calamine is
not a requirement: install it into the venv to measure it (``pip install python-calamine``).
"""

import argparse
import datetime
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def write_xlsx(path, rows):
    import xlsxwriter

    workbook = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = workbook.add_worksheet("members")
    header = ["name", "gender", "birth_date", "id_number", "phone", "organization", "status", "joined_on",
              "full_member_on", "categories", "activity_status", "enterprise", "is_pocket"]
    sheet.write_row(0, 0, header)
    birth = datetime.date(1960, 1, 1)
    for index in range(rows):
        sheet.write_row(index + 1, 0, [
            "党员{}".format(index), "male", (birth + datetime.timedelta(days=index % 9000)).isoformat(),
            "35010219900101{:04d}".format(index % 10000), "138{:08d}".format(index), "BENCH_C1_B{}".format(index % 20),
            "formal", "2015-07-01", "2016-07-01", "rural;mobile", "normal", "", "false",
        ])
    workbook.close()


def read_portal(path):
    from portal.spreadsheets import ReadLimits, read_table

    limits = ReadLimits(max_bytes=1 << 30, max_rows=10_000_000, max_cell_chars=10_000,
                        max_uncompressed_bytes=1 << 31, max_compression_ratio=1000)
    with open(path, "rb") as binary:
        table = read_table(binary, limits)
        count = sum(1 for _row in table.rows)
    return count


def read_calamine(path):
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(path)
    sheet = workbook.get_sheet_by_index(0)
    count = 0
    for values in sheet.iter_rows():
        [str(value) for value in values]
        count += 1
    return count - 1


def read_openpyxl(path):
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    count = 0
    for values in workbook.active.iter_rows(values_only=True):
        ["" if value is None else str(value) for value in values]
        count += 1
    workbook.close()
    return count - 1


READERS = {"portal": read_portal, "calamine": read_calamine, "openpyxl": read_openpyxl}


def child(reader, path):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("SECRET_KEY", "xlsx-read-bench-only")
    os.environ.setdefault("DATABASE_URL", "postgres://unused@127.0.0.1/unused")
    import django

    django.setup()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    count = READERS[reader](path)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("child reader={} rows={} seconds={:.2f} rss_before_mib={:.0f} peak_rss_mib={:.0f}".format(
        reader, count, elapsed, before, peak))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(*arguments.child)
        return
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "members.xlsx")
        write_xlsx(path, arguments.rows)
        print("{} rows, {:.1f} MiB".format(arguments.rows, os.path.getsize(path) / 2**20), flush=True)
        for reader in READERS:
            result = subprocess.run([sys.executable, __file__, "--child", reader, path], capture_output=True, text=True)
            lines = [line for line in result.stdout.splitlines() if line.startswith("child")]
            print(lines[-1] if lines else "{}: failed: {}".format(reader, result.stderr.strip()[-300:]), flush=True)
    print("load average: {}".format(" ".join("{:.2f}".format(value) for value in os.getloadavg())))


if __name__ == "__main__":
    main()
