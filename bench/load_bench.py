"""Load on a real gunicorn: statistics, member list and member detail under concurrent clients.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/generate.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/load_bench.py \
        [--seconds 60] [--clients 50] [--workers 3] [--warmup 5] [--think 0]

Works on the scratch database ``<database>_rollup_bench`` that generate.py filled (1,000,000
members). It makes a statistics snapshot if there is none, a staff user over one county with an API
token, then starts gunicorn (``portal.wsgi``, ``--workers`` sync workers) on 127.0.0.1 at a free
port, and runs ``--clients`` client threads for ``--seconds`` (after ``--warmup`` seconds not
counted). Each client, in turn, asks for:

* ``GET /api/v1/stats/members/?org=<the county>`` (the statistics API);
* ``GET /api/v1/members/?within=<the county>&page=<1..20>`` (the member list API, 50 a page);
* ``GET /api/v1/members/<id>/`` (a member of the county, at random: the detail API).

One new connection per request (gunicorn's sync workers close it), no think time unless ``--think``
seconds. It prints requests per second, p50/p95/p99 latency and errors (any status but 200, or a
failed connection) per endpoint and overall, and the load average (the machine is shared). With
closed-loop clients, latency is about clients / throughput (Little's law): 50 clients at 250
requests per second wait 200 ms.
"""

import argparse
import http.client
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate import scratch_url  # noqa: E402
from rollup_bench import setup_django  # noqa: E402


def prepare():
    """A statistics snapshot, a county, its staff user's token and some of its members' ids."""
    from django.contrib.auth import get_user_model
    from knox.models import AuthToken

    from members.models import Member, Organization
    from portal.models import RollupRun, RollupStatusChoices
    from portal.rollups import engine

    if not RollupRun.objects.filter(status=RollupStatusChoices.SUCCEEDED).exists():
        print("no statistics snapshot yet: computing one ...", flush=True)
        run = RollupRun.objects.create()
        engine.execute_run(run.pk)
    county = Organization.objects.filter(depth=3).order_by("code").first()
    user, _created = get_user_model().objects.get_or_create(username="bench-county-staff")
    from portal.models import RoleAssignment

    RoleAssignment.objects.get_or_create(user=user, role="staff", organization=county)
    _instance, key = AuthToken.objects.create(user)
    member_ids = list(
        Member.objects.filter(organization__path__startswith=county.path).order_by("?").values_list("pk", flat=True)[:2000]
    )
    return county, key, member_ids


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(port, workers):
    env = dict(os.environ, ALLOWED_HOSTS="127.0.0.1,localhost", LOG_LEVEL="WARNING")
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind", "127.0.0.1:{}".format(port),
         "--workers", str(workers), "--timeout", "60", "--log-level", "warning",
         "--logger-class", "portal.logging.GunicornLogger"],
        cwd=ROOT, env=env,
    )


def request(port, path, headers):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def wait_until_up(port, server, headers):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if request(port, "/api/v1/members/?page_size=1", headers) == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not come up on 127.0.0.1:{}".format(port))


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (2-4 on 2 cores)")
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--think", type=float, default=0, help="seconds each client waits between requests")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("Set DATABASE_URL to the PostgreSQL server generate.py filled.")
    target, name = scratch_url(url)
    os.environ.setdefault("HTTPS", "false")  # plain HTTP on the loopback: no redirect to https://
    setup_django(target)
    county, key, member_ids = prepare()
    headers = {"Authorization": "Token " + key, "Host": "127.0.0.1"}
    endpoints = {
        "stats": lambda rng: "/api/v1/stats/members/?org=" + county.code,
        "member list": lambda rng: "/api/v1/members/?within={}&page={}".format(county.code, rng.randint(1, 20)),
        "member detail": lambda rng: "/api/v1/members/{}/".format(rng.choice(member_ids)),
    }
    port = free_port()
    server = start_gunicorn(port, args.workers)
    results = {endpoint: [] for endpoint in endpoints}  # (latency, ok) after the warm-up
    lock = threading.Lock()
    started = time.monotonic()
    measure_from = started + args.warmup
    stop_at = measure_from + args.seconds

    def client(number):
        rng = random.Random(number)
        names = list(endpoints)
        turn = number
        while True:
            now = time.monotonic()
            if now >= stop_at:
                return
            endpoint = names[turn % len(names)]
            turn += 1
            began = time.perf_counter()
            try:
                ok = request(port, endpoints[endpoint](rng), headers) == 200
            except (OSError, http.client.HTTPException):
                ok = False
            elapsed = time.perf_counter() - began
            if began_after_warmup(now):
                with lock:
                    results[endpoint].append((elapsed, ok))
            if args.think:
                time.sleep(args.think)

    def began_after_warmup(moment):
        return measure_from <= moment < stop_at

    try:
        wait_until_up(port, server, headers)
        print("database {}: county {} ({:,} of its members sampled); gunicorn {} sync workers on 127.0.0.1:{}".format(
            name, county.code, len(member_ids), args.workers, port), flush=True)
        print("{} clients for {:.0f} s after {:.0f} s of warm-up; load average before: {}".format(
            args.clients, args.seconds, args.warmup, " ".join("{:.2f}".format(x) for x in os.getloadavg())), flush=True)
        started = time.monotonic()
        measure_from = started + args.warmup
        stop_at = measure_from + args.seconds
        threads = [threading.Thread(target=client, args=(number,), daemon=True) for number in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.warmup + args.seconds + 60)
        load_after = os.getloadavg()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    print()
    print("{:<14} {:>9} {:>8} {:>8} {:>8} {:>8} {:>7}".format("endpoint", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors"))
    everything = []
    for endpoint, rows in list(results.items()) + [("all", None)]:
        if rows is None:
            rows = everything
        else:
            everything.extend(rows)
        latencies = [elapsed for elapsed, _ok in rows]
        errors = sum(1 for _elapsed, ok in rows if not ok)
        print("{:<14} {:>9,} {:>8.1f} {:>8.1f} {:>8.1f} {:>8.1f} {:>7}".format(
            endpoint, len(rows), len(rows) / args.seconds, percentile(latencies, 0.50) * 1000,
            percentile(latencies, 0.95) * 1000, percentile(latencies, 0.99) * 1000, errors))
    print()
    print("load average after: {}".format(" ".join("{:.2f}".format(x) for x in load_after)))
    if everything:
        print("median of all requests: {:.1f} ms".format(statistics.median(e for e, _ok in everything) * 1000))


if __name__ == "__main__":
    main()
