"""Benchmark of the statistics rollup and the statistics endpoint, on the data of bench/generate.py.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/generate.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/rollup_bench.py [--repeat 3] [--requests 300]

Works on the scratch database ``<database>_rollup_bench`` that generate.py filled. From one run it
prints:

1. the **floor**: every figure set's own ``GROUP BY`` over the same rows (the contributors' SQL,
   results fetched), the least any rollup must do;
2. the **full rollup**: a real run (``portal.rollups.engine.execute_run``: lock, status records,
   GROUP BY, fan-out to every ancestor, INSERT of the snapshot, commit), wall time;
3. their ratio (goal: at most 3x), each the median of ``--repeat`` alternating timings;
4. the median latency of ``GET /api/v1/stats/members/?org=<a county>`` beside a trivial DRF endpoint
   (same authentication, permission and renderer, answers ``{"ok": true}``), both with a token,
   alternating (goal: at most 1.5x): once through Django's handler in this process (the
   framework's and the view's own cost only), and once over HTTP from a real gunicorn server
   on 127.0.0.1 (what a client sees; one sync worker, a new connection per request).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate import scratch_url  # noqa: E402


def setup_django(url):
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench-only-key")
    os.environ["DEBUG"] = "0"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


def time_floor():
    from django.db import connection, transaction
    from django.utils import timezone

    from portal.rollups import RollupContext, contributors, engine

    context = RollupContext(run_id=0, today=timezone.localdate())
    started = time.perf_counter()
    rows = 0
    # Under the rollup transaction's own settings (JIT off, work_mem), so only the work differs.
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, params in engine.session_settings():
            cursor.execute(sql, params)
        for contributor in contributors():
            sql, params = contributor.leaf_sql(context)
            cursor.execute(sql, params)
            rows += len(cursor.fetchall())
    return time.perf_counter() - started, rows


def time_rollup():
    from portal.models import RollupRun, RollupStatusChoices
    from portal.rollups import engine

    run = RollupRun.objects.create()
    started = time.perf_counter()
    status = engine.execute_run(run.pk)
    elapsed = time.perf_counter() - started
    run.refresh_from_db()
    if status != RollupStatusChoices.SUCCEEDED:
        raise SystemExit("rollup failed: {}".format(run.error))
    return elapsed, run


def trivial_urlconf():
    """The portal's URLs plus a trivial endpoint with the same DRF defaults (bench/bench_urls.py)."""
    return "bench_urls"


def time_endpoints_over_http(requests, key, stats_url, ping_url):
    """Median latencies of both URLs served by a real gunicorn on 127.0.0.1 (a free port)."""
    import http.client
    import socket
    import subprocess

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "bench_wsgi:application", "--pythonpath", str(ROOT / "bench"),
         "--bind", "127.0.0.1:{}".format(port), "--workers", "1", "--log-level", "warning"],
        cwd=ROOT, env=dict(os.environ),
    )
    headers = {"Authorization": "Token " + key}

    def fetch(url):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        started = time.perf_counter()
        connection.request("GET", url, headers=headers)
        response = connection.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        connection.close()
        return response.status, elapsed

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if fetch(ping_url)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("gunicorn did not come up for the HTTP measurement")
            time.sleep(0.2)
        for url in (stats_url, ping_url):  # warm up
            for _ in range(20):
                status, _elapsed = fetch(url)
                assert status == 200, (url, status)
        timings = {stats_url: [], ping_url: []}
        for _ in range(requests):
            for url in (stats_url, ping_url):
                timings[url].append(fetch(url)[1])
        return statistics.median(timings[stats_url]), statistics.median(timings[ping_url])
    finally:
        server.terminate()
        server.wait(timeout=30)


def time_endpoints(requests, county_code):
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import clear_url_caches
    from knox.models import AuthToken

    from members.models import Organization
    from portal.models import RoleAssignment

    settings.ROOT_URLCONF = trivial_urlconf()
    clear_url_caches()
    user, _created = get_user_model().objects.get_or_create(username="bench-reader")
    county = Organization.objects.get(code=county_code)
    RoleAssignment.objects.get_or_create(user=user, role="reader", organization=county)
    _instance, key = AuthToken.objects.create(user)
    client = Client(HTTP_AUTHORIZATION="Token " + key)
    stats_url = "/api/v1/stats/members/?org=" + county_code
    ping_url = "/bench/ping/"
    for url in (stats_url, ping_url):  # warm up
        for _ in range(20):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code, response.content[:200])
    timings = {stats_url: [], ping_url: []}
    for _ in range(requests):
        for url in (stats_url, ping_url):
            started = time.perf_counter()
            client.get(url)
            timings[url].append(time.perf_counter() - started)
    http_stats, http_ping = time_endpoints_over_http(requests, key, stats_url, ping_url)
    return statistics.median(timings[stats_url]), statistics.median(timings[ping_url]), stats_url, http_stats, http_ping


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("Set DATABASE_URL to the PostgreSQL server generate.py filled.")
    target, name = scratch_url(url)
    setup_django(target)
    from django.db import connection

    from members.models import Member, Organization

    organizations = Organization.objects.count()
    members = Member.objects.count()
    depth = Organization.objects.order_by("-depth").values_list("depth", flat=True).first()
    print("database {}: {:,} organizations ({} levels), {:,} members".format(name, organizations, depth, members))
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        print("PostgreSQL {}, {} CPUs".format(cursor.fetchone()[0], os.cpu_count()))

    time_floor()  # warm the cache: both sides read the same pages from memory
    floors, rollups = [], []
    for _ in range(args.repeat):
        floor, leaf_rows = time_floor()
        rollup, run = time_rollup()
        floors.append(floor)
        rollups.append(rollup)
        print("  floor {:.3f}s ({:,} rows)   rollup {:.3f}s (run #{}, {:,} rows written)".format(
            floor, leaf_rows, rollup, run.pk, run.rows_written))
    floor, rollup = statistics.median(floors), statistics.median(rollups)
    print("floor (GROUP BY of the same rows), median: {:.3f}s".format(floor))
    print("full rollup, median:                       {:.3f}s".format(rollup))
    print("ratio rollup / floor:                      {:.2f}x (goal <= 3x)".format(rollup / floor))

    county_code = Organization.objects.filter(depth=3).order_by("code").values_list("code", flat=True).first()
    stats, ping, stats_url, http_stats, http_ping = time_endpoints(args.requests, county_code)
    print("In process (Django handler, no HTTP):")
    print("  GET {} median: {:.2f} ms".format(stats_url, stats * 1000))
    print("  GET trivial DRF endpoint median:             {:.2f} ms".format(ping * 1000))
    print("  ratio stats / trivial:                       {:.2f}x (goal <= 1.5x)".format(stats / ping))
    print("Over HTTP (gunicorn on 127.0.0.1, one sync worker):")
    print("  GET {} median: {:.2f} ms".format(stats_url, http_stats * 1000))
    print("  GET trivial DRF endpoint median:             {:.2f} ms".format(http_ping * 1000))
    print("  ratio stats / trivial:                       {:.2f}x (goal <= 1.5x)".format(http_stats / http_ping))


if __name__ == "__main__":
    main()
