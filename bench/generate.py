"""A province-scale dataset for the rollup benchmark, loaded with COPY into a scratch database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/generate.py \
        [--organizations 50000] [--members 1000000] [--seed 7]

``DATABASE_URL`` names the server and a user allowed to create databases; the data goes into the
scratch database ``<database>_rollup_bench`` (dropped, re-created and migrated each time). The tree
is six levels deep: province committee → 12 city committees → county committees → township
committees and working committees → branches and general branches → party groups (the rest of the
organizations, up to ``--organizations``). Members belong to branches, general branches and groups
(about 20 each), with random status, categories, activity status, pocket flag, and 5 % who left.

The audit triggers (pghistory) and foreign-key checks are switched off for the load
(``session_replication_role = replica``): the rows are made valid here, and a million audit events
are not what the benchmark measures.
"""

import argparse
import datetime
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCRATCH_SUFFIX = "_rollup_bench"
PATH_STEP = 6
ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
# Fan-out of the first four levels below the province; groups fill the rest.
FAN_OUT = [12, 8, 12, 4]
KINDS = ["committee", "committee", "committee", "committee", "branch"]
SECTORS = ["organ", "rural", "community", "enterprise", "social", "school", "state_enterprise", "other"]
STATUSES = ["probationary", "formal"]
CATEGORIES = ["rural", "leading_cadre", "retired", "mobile", "laid_off", "enterprise", "community", "student"]
ACTIVITY = ["normal", "normal", "normal", "normal", "sick_leave", "lost_contact", "abroad"]


def scratch_url(url):
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "postgres"
    return urlunsplit(parts._replace(path="/" + name + SCRATCH_SUFFIX)), name + SCRATCH_SUFFIX


def path_step(pk):
    digits = []
    while pk:
        pk, rest = divmod(pk, 36)
        digits.append(ALPHABET[rest])
    return "".join(reversed(digits)).rjust(PATH_STEP, "0")


def recreate_database(url, name):
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute('DROP DATABASE IF EXISTS "{}" WITH (FORCE)'.format(name))
        connection.execute('CREATE DATABASE "{}"'.format(name))


def migrate(url):
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-key"), DEBUG="0")
    subprocess.run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True)


def build_tree(total, rng):
    """Rows (id, parent_id, path, kind, sector, term_started_on, term_years, is_active), parents first."""
    rows = []
    next_id = 1

    def add(parent, kind):
        nonlocal next_id
        pk = next_id
        next_id += 1
        path = (parent[2] if parent else "") + path_step(pk)
        term = (None, None)
        if rng.random() < 0.8:
            term = (datetime.date(rng.randint(2018, 2025), rng.randint(1, 12), 1), rng.choice([3, 5]))
        row = (pk, parent[0] if parent else None, path, kind, rng.choice(SECTORS), term[0], term[1], rng.random() < 0.97)
        rows.append(row)
        return row

    level = [add(None, "committee")]
    for depth, fan_out in enumerate(FAN_OUT):
        below = []
        for parent in level:
            for _ in range(fan_out):
                kind = KINDS[depth + 1] if depth + 1 < len(KINDS) else "branch"
                if depth == 2 and rng.random() < 0.2:
                    kind = "working_committee"
                if depth == 3:
                    kind = "general_branch" if rng.random() < 0.15 else "branch"
                below.append(add(parent, kind))
        level = below
    branches = [row for row in level if row[3] == "branch"]
    while len(rows) < total:
        add(rng.choice(branches), "group")
    return rows


def load(url, organizations, members, seed):
    import psycopg

    rng = random.Random(seed)
    started = time.perf_counter()
    tree = build_tree(organizations, rng)
    now = datetime.datetime.now(datetime.timezone.utc)
    with psycopg.connect(url) as connection:
        connection.execute("SET session_replication_role = replica")
        with connection.cursor() as cursor:
            with cursor.copy(
                "COPY members_organization (id, created_at, updated_at, code, name, kind, sector, parent_id, path,"
                " term_started_on, term_years, is_active) FROM STDIN"
            ) as copy:
                for pk, parent_id, path, kind, sector, term_start, term_years, active in tree:
                    copy.write_row(
                        (pk, now, now, "O{:06d}".format(pk), "Organization {}".format(pk), kind, sector, parent_id, path,
                         term_start, term_years, active)
                    )
        print("organizations: {:,} in {:.1f}s".format(len(tree), time.perf_counter() - started), flush=True)
        homes = [row[0] for row in tree if row[3] in ("branch", "general_branch", "group")]
        started = time.perf_counter()
        with connection.cursor() as cursor:
            with cursor.copy(
                "COPY members_member (id, created_at, updated_at, name, gender, birth_date, id_number, phone,"
                " organization_id, status, joined_on, full_member_on, categories, activity_status, enterprise,"
                " workplace, is_pocket, left_on, exit_reason) FROM STDIN"
            ) as copy:
                base_day = datetime.date(1950, 1, 1)
                for index in range(members):
                    pk = index + 1
                    birth = base_day + datetime.timedelta(days=index // 1000)
                    id_number = "350102{:%Y%m%d}{:03d}X".format(birth, index % 1000)
                    status = "formal" if rng.random() < 0.9 else "probationary"
                    joined = birth + datetime.timedelta(days=365 * 20 + rng.randint(0, 9000))
                    left = rng.random() < 0.05
                    copy.write_row(
                        (
                            pk, now, now, "Member {}".format(pk), rng.choice(("male", "female")), birth, id_number,
                            None, rng.choice(homes), status, joined,
                            joined + datetime.timedelta(days=365) if status == "formal" else None,
                            rng.sample(CATEGORIES, rng.choice((0, 1, 1, 1, 2))), rng.choice(ACTIVITY), None, "",
                            rng.random() < 0.03, datetime.date(2024, 6, 1) if left else None, "death" if left else "",
                        )
                    )
        for table in ("members_organization", "members_member"):
            connection.execute(
                "SELECT setval(pg_get_serial_sequence('{0}', 'id'), (SELECT max(id) FROM {0}))".format(table)
            )
        connection.commit()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE members_organization")
        connection.execute("VACUUM ANALYZE members_member")
    print("members: {:,} in {:.1f}s".format(members, time.perf_counter() - started), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--organizations", type=int, default=50_000)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("Set DATABASE_URL to the PostgreSQL server (a user that may create databases).")
    target, name = scratch_url(url)
    print("scratch database: {}".format(name), flush=True)
    recreate_database(url, name)
    migrate(target)
    load(target, args.organizations, args.members, args.seed)
    print("done: DATABASE_URL={} .venv/bin/python bench/rollup_bench.py".format(url))


if __name__ == "__main__":
    main()
