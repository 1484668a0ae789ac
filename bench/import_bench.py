"""Benchmark of the member import against PostgreSQL's own COPY of the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/import_bench.py [--rows 100000]

``DATABASE_URL`` names the server (and a user allowed to create databases); the benchmark works in
a scratch database of its own, ``<database>_import_bench`` (dropped and re-created each run, left
behind for inspection; ``--keep-database`` skips the re-creation). It

1. migrates the scratch database and creates a tree of organizations (a city, 10 counties, 200 branches);
2. writes a CSV of N valid rows (valid GB 11643 ID numbers, every rule of the roster satisfied);
3. times the import as the web request would run it (``members.io.importer.import_members``: the
   member declaration on ``portal.importer``, as a city administrator): a dry run (read, check, COPY to the temp table, match), the real run
   (creates N members, pghistory's trigger writes N audit events), and a real run of the same
   people with new phones (updates N members, N more audit events);
4. times a plain ``COPY`` of the same rows into an equivalent table (``LIKE members_member INCLUDING
   ALL``: same columns, defaults, constraints and indexes, no audit trigger), and prints the ratio;
5. runs the import of 10,000 and of N rows in fresh child processes and prints each one's peak RSS,
   to show memory does not grow with the file; then exports the N members as CSV and as XLSX in
   fresh processes (time, size, peak RSS).
"""

import argparse
import csv
import datetime
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COUNTIES = 10
BRANCHES_PER_COUNTY = 20
SCRATCH_SUFFIX = "_import_bench"


def scratch_url(url):
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "postgres"
    return urlunsplit(parts._replace(path="/" + name + SCRATCH_SUFFIX)), name + SCRATCH_SUFFIX


def recreate_database(url, name):
    import psycopg

    parts = urlsplit(url)
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute('DROP DATABASE IF EXISTS "{}" WITH (FORCE)'.format(name))
        connection.execute('CREATE DATABASE "{}"'.format(name))


def setup_django(url):
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "import-bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["DEBUG"] = "0"  # DEBUG would keep every query in memory
    import django

    django.setup()


def id_number(index):
    """A distinct valid ID number per index: birth dates spread over 1950-1999, sequence from the index."""
    from members.validators import id_number_check_character

    birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=index % 16000)
    sequence = (index // 16000) * 2 + 1 + (index % 2)  # odd = male, even = female
    first17 = "350102" + birth.strftime("%Y%m%d") + "{:03d}".format(sequence)
    return first17 + id_number_check_character(first17), birth, "male" if sequence % 2 else "female"


def write_rows(path, count, branch_codes, seed=1, phone_prefix="138"):
    """A valid roster CSV of ``count`` rows (UTF-8 with BOM, as a web user would upload)."""
    from members.io.rules import COLUMNS
    from members.validators import credit_code_check_character

    generator = random.Random(seed)
    credit17 = "91350200MA2Y{:05d}"
    categories = ["", "rural", "enterprise;mobile", "retired", "community", "leading_cadre"]
    with open(path, "w", newline="", encoding="utf-8-sig") as target:
        writer = csv.writer(target)
        writer.writerow(COLUMNS)
        for index in range(count):
            number, birth, gender = id_number(index)
            joined = birth + datetime.timedelta(days=365 * 20 + generator.randrange(3000))
            formal = generator.random() < 0.9
            credit = credit17.format(index % 5000) if generator.random() < 0.3 else ""
            writer.writerow(
                [
                    "党员{}".format(index),
                    gender,
                    birth.isoformat(),
                    number,
                    phone_prefix + "{:08d}".format(index),
                    branch_codes[index % len(branch_codes)],
                    "formal" if formal else "probationary",
                    joined.isoformat(),
                    (joined + datetime.timedelta(days=365)).isoformat() if formal else "",
                    categories[index % len(categories)],
                    "normal",
                    credit + credit_code_check_character(credit) if credit else "",
                    "true" if index % 50 == 0 else "false",
                ][: len(COLUMNS)]
            )


def build_world():
    from django.contrib.auth import get_user_model

    from members.models import Organization
    from portal.models import RoleAssignment

    city = Organization.objects.create(code="BENCH_CITY", name="Bench city", kind="committee", sector="organ")
    codes = []
    for county_number in range(COUNTIES):
        county = Organization.objects.create(
            code="BENCH_C{}".format(county_number), name="County", kind="committee", sector="organ", parent=city
        )
        for branch_number in range(BRANCHES_PER_COUNTY):
            code = "BENCH_C{}_B{}".format(county_number, branch_number)
            Organization.objects.create(code=code, name="Branch", kind="branch", sector="enterprise", parent=county)
            codes.append(code)
    user = get_user_model().objects.create_user("bench_admin")
    RoleAssignment.objects.create(user=user, role="city_admin")
    return codes


class StatementTimer:
    """Records how long each SQL statement of a run takes (a Django execute wrapper)."""

    def __init__(self):
        self.timings = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.timings.append((time.perf_counter() - started, " ".join(sql.split())))

    def report(self, top=4):
        for seconds, sql in sorted(self.timings, reverse=True)[:top]:
            # pghistory prefixes each statement with its context; show the statement itself.
            sql = sql.split("; ", 1)[-1] if sql.startswith("SELECT set_config") else sql
            print("    {:6.2f}s  {}".format(seconds, sql[:110]))


def run_import(path, dry_run=False, timer=None):
    from django.contrib.auth import get_user_model
    from django.db import connection

    from members.io.importer import import_members

    user = get_user_model().objects.get(username="bench_admin")
    timer = timer or StatementTimer()
    started = time.perf_counter()
    with open(path, "rb") as upload, connection.execute_wrapper(timer):
        result = import_members(upload, user, dry_run=dry_run)
    elapsed = time.perf_counter() - started
    if not result.ok:
        raise SystemExit("import failed: {}".format(result.errors[:5]))
    return elapsed, result


def copy_baseline(path):
    """A plain COPY of the same rows into a table like members_member (organization codes resolved
    beforehand, as COPY cannot look them up): the floor any import could reach."""
    from django.db import connection

    from members.models import Organization

    organizations = dict(Organization.objects.values_list("code", "id"))
    copy_path = path + ".copy"
    with open(path, newline="", encoding="utf-8-sig") as source, open(copy_path, "w", newline="") as target:
        reader = csv.DictReader(source)
        writer = csv.writer(target)
        for row in reader:
            writer.writerow(
                [
                    row["name"], row["gender"], row["birth_date"], row["id_number"], row["phone"],
                    organizations[row["organization"]], row["status"], row["joined_on"], row["full_member_on"] or None,
                    "{" + ",".join(filter(None, row["categories"].split(";"))) + "}", row["activity_status"],
                    row["enterprise"] or None, row["is_pocket"], "",  "",
                ]
            )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_member_copy")
        cursor.execute("CREATE TABLE bench_member_copy (LIKE members_member INCLUDING ALL)")
        cursor.execute("ALTER TABLE bench_member_copy ALTER COLUMN created_at SET DEFAULT now(), ALTER COLUMN updated_at SET DEFAULT now()")
    started = time.perf_counter()
    with connection.cursor() as cursor, open(copy_path, "rb") as data:
        with cursor.cursor.copy(
            "COPY bench_member_copy (name, gender, birth_date, id_number, phone, organization_id, status, joined_on,"
            " full_member_on, categories, activity_status, enterprise, is_pocket, workplace, exit_reason)"
            " FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (workplace, exit_reason))"
        ) as copy:
            while chunk := data.read(1 << 20):
                copy.write(chunk)
    elapsed = time.perf_counter() - started
    os.unlink(copy_path)
    return elapsed


def insert_select_without_audit():
    """The import's INSERT ... SELECT of the same rows into a table like members_member without
    the audit trigger: the rest of the import's INSERT time is the per-row audit trail."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_member_plain")
        cursor.execute("CREATE TABLE bench_member_plain (LIKE members_member INCLUDING ALL)")
        started = time.perf_counter()
        cursor.execute("INSERT INTO bench_member_plain SELECT * FROM members_member")
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_member_plain")
    return elapsed


def reset_members():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE members_member, members_memberevent CASCADE")


def child_output(arguments, url):
    """The report line of a fresh process of this script run with ``arguments``."""
    output = subprocess.run(
        [sys.executable, __file__, *arguments],
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line for line in output.splitlines() if line.startswith("child")][-1]


def child_rss(rows, url, directory, codes):
    """Peak RSS (MiB) of a fresh process importing ``rows`` rows."""
    path = os.path.join(directory, "child-{}.csv".format(rows))
    write_rows(path, rows, codes)
    return child_output(["--child", path], url)


def child(path):
    """Import ``path`` (written by the parent, so generating it does not count) in this fresh process."""
    reset_members()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    elapsed, result = run_import(path)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("child rows={} created={} seconds={:.2f} rss_before_import_mib={:.0f} peak_rss_mib={:.0f}".format(
        result.created, result.created, elapsed, before, peak))


def export_child(file_format):
    """Export every member (the 100,000 the last child imported) as ``file_format``; time and peak RSS."""
    from django.contrib.auth import get_user_model

    from members.io.export import export_members
    from members.models import Member

    user = get_user_model().objects.get(username="bench_admin")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    response = export_members(Member.objects.all(), user, file_format)
    size = 0
    for piece in response.streaming_content if response.streaming else [response.content]:
        size += len(piece)
    response.close()
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("child export format={} rows={} bytes={} seconds={:.2f} rss_before_mib={:.0f} peak_rss_mib={:.0f}".format(
        file_format, Member.objects.count(), size, elapsed, before, peak))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep-database", action="store_true", help="reuse the scratch database as it is")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--export-child", choices=["csv", "xlsx"], help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("Set DATABASE_URL to a PostgreSQL server (postgres://user@host:port/db).")

    if arguments.child:
        setup_django(url)
        child(arguments.child)
        return
    if arguments.export_child:
        setup_django(url)
        export_child(arguments.export_child)
        return

    bench_url, bench_name = scratch_url(url)
    if not arguments.keep_database:
        print("scratch database {} ...".format(bench_name), flush=True)
        recreate_database(url, bench_name)
    setup_django(bench_url)
    from django.core.management import call_command

    if not arguments.keep_database:
        call_command("migrate", verbosity=0)
        codes = build_world()
    else:
        from members.models import Organization

        codes = list(Organization.objects.filter(kind="branch").values_list("code", flat=True))
    reset_members()
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "members.csv")
        started = time.perf_counter()
        write_rows(path, arguments.rows, codes)
        print("generated {} rows ({:.1f} MiB) in {:.1f}s".format(
            arguments.rows, os.path.getsize(path) / 2**20, time.perf_counter() - started))

        dry, result = run_import(path, dry_run=True)
        print("import dry run (read + check + COPY to temp + match): {:.2f}s  would create {}".format(dry, result.created))
        timer = StatementTimer()
        create, result = run_import(path, timer=timer)
        print("import creating {} members (incl. {} audit events): {:.2f}s; slowest statements:".format(result.created, result.created, create))
        timer.report()
        plain = insert_select_without_audit()
        print("  the same INSERT ... SELECT into an equivalent table without the audit trigger: {:.2f}s".format(plain))
        # The same people with new phones: every row updates its member and writes an audit event.
        changed = os.path.join(directory, "members-changed.csv")
        write_rows(changed, arguments.rows, codes, phone_prefix="139")
        timer = StatementTimer()
        update, result = run_import(changed, timer=timer)
        print("import updating {} members (new phone each, incl. audit events): {:.2f}s; slowest statements:".format(result.updated, update))
        timer.report()
        baseline = copy_baseline(path)
        print("plain COPY of the same rows into an equivalent table: {:.2f}s".format(baseline))
        print("ratio import (create) / COPY: {:.1f}x   import (update) / COPY: {:.1f}x".format(create / baseline, update / baseline))

        for rows in sorted({10_000, arguments.rows}):
            print(child_rss(rows, bench_url, directory, codes), flush=True)
        # The export streams too: all members (as many as the last child imported) as CSV and XLSX.
        for file_format in ("csv", "xlsx"):
            print(child_output(["--export-child", file_format], bench_url), flush=True)
    print("machine: {} CPUs, PostgreSQL at {}, load average {}".format(
        os.cpu_count(), urlsplit(url).hostname, " ".join("{:.2f}".format(value) for value in os.getloadavg())))


if __name__ == "__main__":
    main()
