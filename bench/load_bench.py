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

``--driver wrk`` (the default when Debian's ``wrk`` is installed: ``apt-get install wrk``) drives
the same requests from wrk, a load generator written in C, with one connection per client: the
Python threads of ``--driver python`` cost the 2-core machine about as much CPU as the server
they measure, so their figures say more about the client than about the portal. With wrk the
three endpoints are mixed in one run (a Lua script cycles through the same paths) and then each
is driven alone for ``--seconds`` / 3, so every endpoint gets its own p50/p95/p99.
"""

import argparse
import http.client
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
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


WRK_SCRIPT = """
wrk.headers["Authorization"] = "Token {key}"
wrk.headers["Host"] = "127.0.0.1"
local paths = {{ {paths} }}
local turn = math.random(#paths)
request = function()
  turn = turn % #paths + 1
  return wrk.format("GET", paths[turn])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %.3f %.3f %.3f %d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    e.status + e.connect + e.read + e.write + e.timeout))
end
"""


def run_wrk(port, key, paths, clients, seconds):
    """(requests, req/s, p50, p95, p99 in ms, errors) of one wrk run over ``paths``, in turn."""
    script = WRK_SCRIPT.format(key=key, paths=", ".join('"{}"'.format(path) for path in paths))
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        output = subprocess.run(
            ["wrk", "-t2", "-c{}".format(clients), "-d{}s".format(max(1, int(seconds))), "--timeout", "10s",
             "-s", lua.name, "http://127.0.0.1:{}".format(port)],
            capture_output=True, text=True, check=True,
        ).stdout
    match = re.search(r"^RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+)$", output, re.M)
    if not match:
        raise SystemExit("wrk printed no result:\n" + output)
    count, micros, p50, p95, p99, errors = match.groups()
    return int(count), int(count) / (int(micros) / 1e6), float(p50), float(p95), float(p99), int(errors)


def drive_with_wrk(port, key, endpoints, member_ids, args):
    rng = random.Random(1)
    paths = {name: [make(rng) for _ in range(200)] for name, make in endpoints.items()}
    mixed = [path for trio in zip(*paths.values()) for path in trio]
    run_wrk(port, key, mixed, args.clients, args.warmup)  # warm-up, not counted
    rows = [("all (mixed)", run_wrk(port, key, mixed, args.clients, args.seconds))]
    for name, own in paths.items():
        rows.append((name + " alone", run_wrk(port, key, own, args.clients, args.seconds / 3)))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (2-4 on 2 cores)")
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--think", type=float, default=0, help="seconds each client waits between requests")
    parser.add_argument("--driver", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python",
                        help="load generator: wrk (C, when installed) or Python threads")
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
        if args.driver == "wrk":
            rows = drive_with_wrk(port, key, endpoints, member_ids, args)
            print("driver: wrk (C), one connection per client\n")
            print("{:<20} {:>9} {:>8} {:>8} {:>8} {:>8} {:>7}".format(
                "endpoint", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors"))
            for name, (count, rate, p50, p95, p99, errors) in rows:
                print("{:<20} {:>9,} {:>8.1f} {:>8.1f} {:>8.1f} {:>8.1f} {:>7}".format(name, count, rate, p50, p95, p99, errors))
            print("\nload average after: {}".format(" ".join("{:.2f}".format(x) for x in os.getloadavg())))
            return
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
