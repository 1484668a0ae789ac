"""Server time of deep pages of the member list (API and page) beside a primary-key lookup.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/generate.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/deep_list_bench.py [--repeat 5]

Works on the scratch database ``<database>_rollup_bench`` that generate.py filled (1,000,000 members).
Every request goes through Django's handler in this process (no HTTP, no network): what is timed is
the server's own work, and the SQL of each request is captured (number of queries, their time).

For the member list API (``/api/v1/members/``) and the member list page (``/members/``), as a city
administrator (the whole list, ~950,000 current members):

* pages 1, 100, 1,000, 10,000 and the last, asked for **by number** (``?page=N``, an ``OFFSET`` over
  the ids);
* the same pages **reached by a link** (the ``next`` link of the page before, or the ``previous``
  link of the page after for the last: a keyset step);
* a **primary-key lookup**: the member detail API (``/api/v1/members/<id>/``), the floor of any request.

Medians of ``--repeat`` timings each; the load average is printed beside them (the machine is shared).
"""

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate import scratch_url  # noqa: E402
from rollup_bench import setup_django  # noqa: E402


def timed(client, url, repeat):
    """(median seconds, status, queries, SQL seconds of the last run, response of the last run)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
    sql = sum(float(query["time"]) for query in captured.captured_queries)
    return statistics.median(timings), response.status_code, len(captured.captured_queries), sql, response


def link_of(response, rel):
    """The ``next``/``previous`` link of an API answer or a list page, as a path with its query."""
    if response["Content-Type"].startswith("application/json"):
        link = response.json()[rel]
        return link.replace("http://testserver", "") if link else None
    label = {"next": "Next", "previous": "Previous"}[rel]
    match = re.search(r'href="(\?[^"]*)">{}<'.format(label), response.content.decode())
    return "/members/" + match.group(1).replace("&amp;", "&") if match else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("Set DATABASE_URL to the PostgreSQL server generate.py filled.")
    target, name = scratch_url(url)
    os.environ.setdefault("HTTPS", "false")  # plain HTTP in process: no redirect to https://
    setup_django(target)
    from django.test.utils import override_settings

    # The pages link static files by name: no collectstatic manifest needed for the measurement.
    override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from knox.models import AuthToken

    from members.models import Member
    from portal import paging
    from portal.models import RoleAssignment

    user, _created = get_user_model().objects.get_or_create(username="bench-admin")
    RoleAssignment.objects.get_or_create(user=user, role="city_admin", organization=None)
    _instance, key = AuthToken.objects.create(user)
    api = Client(HTTP_AUTHORIZATION="Token " + key)
    page_client = Client()
    page_client.force_login(user)

    current = Member.objects.current().count()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]
    last = -(-current // 50)
    print("database {}: {:,} members, {:,} current ({:,} pages of 50); PostgreSQL {}, jit={}, {} CPUs".format(
        name, Member.objects.count(), current, last, version, jit, os.cpu_count()))
    print("exact counts up to {:,} rows; load average before: {}".format(
        paging.EXACT_COUNT_LIMIT, " ".join("{:.2f}".format(x) for x in os.getloadavg())))

    some_member = Member.objects.order_by("pk").values_list("pk", flat=True)[current // 2]
    lookup = timed(api, "/api/v1/members/{}/".format(some_member), args.repeat * 4)
    print()
    print("{:<34} {:>9} {:>8} {:>8} {:>7}".format("request", "median ms", "queries", "SQL ms", "status"))

    def row(label, measured):
        elapsed, status, queries, sql, _response = measured
        print("{:<34} {:>9.1f} {:>8} {:>8.1f} {:>7}".format(label, elapsed * 1000, queries, sql * 1000, status))

    row("API detail (primary key)", lookup)
    for base, client, label in (("/api/v1/members/", api, "API"), ("/members/", page_client, "page")):
        for number in (1, 100, 1000, 10000, last):
            shown = "last" if number == last else "{:,}".format(number)
            by_number = timed(client, "{}?page={}".format(base, "last" if number == last else number), args.repeat)
            row("{} page {} by number".format(label, shown), by_number)
            if number == 1:
                continue
            # The link a reader follows: the next link of the page before.
            before = timed(client, "{}?page={}".format(base, number - 1), 1)[4]
            link = link_of(before, "next")
            if link is None:
                print("{:<34} no link".format("{} page {} by link".format(label, shown)))
                continue
            row("{} page {} by link".format(label, shown), timed(client, link, args.repeat))
    print()
    print("load average after: {}".format(" ".join("{:.2f}".format(x) for x in os.getloadavg())))


if __name__ == "__main__":
    main()
