"""Rollups through a real Celery worker (CELERY_BROKER_URL): a run completes, and a worker killed
in the middle of one leaves the previous snapshot served and its run marked failed."""

import os
import signal
import subprocess
import sys
import time
import uuid

import psycopg
import pytest
from django.db import connection

from members.models import Member
from portal.models import RollupRun, RollupStatusChoices
from portal.rollups import engine
from tests.portal.test_celery_worker import BASE_DIR, BROKER_URL, database_url_of_test_database, pytestmark, stop  # noqa: F401
from tests.portal.test_rollups import _test_database_dsn, make_member, run_now

WAIT_SECONDS = 90


def start_worker(tmp_path):
    """A worker on a queue of its own; returns (process, queue, log path)."""
    queue = "test-rollup-{}".format(uuid.uuid4().hex[:12])
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="portal.settings",
        SECRET_KEY="test-only-secret-key",
        DEBUG="0",
        DATABASE_URL=database_url_of_test_database(),
        CELERY_TASK_ALWAYS_EAGER="0",
    )
    log = tmp_path / "worker.log"
    command = [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool", "solo", "--queues", queue,
               "--hostname", queue + "@%h", "--without-gossip", "--without-mingle", "--loglevel", "INFO"]
    with log.open("w") as output:
        worker = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT)
    return worker, queue, log


def send(queue, run_id):
    from portal.tasks import run_rollup

    run_rollup.apply_async(args=[run_id], queue=queue)


def wait_for(predicate, worker, log, what):
    deadline = time.monotonic() + WAIT_SECONDS
    while not predicate():
        assert worker is None or worker.poll() is None, "the worker exited early:\n" + log.read_text()[-3000:]
        assert time.monotonic() < deadline, "no {} within {} s:\n{}".format(what, WAIT_SECONDS, log.read_text()[-3000:])
        time.sleep(0.3)


def status_of(run_id):
    return RollupRun.objects.values_list("status", flat=True).get(pk=run_id)


@pytest.fixture
def broker_app(settings):
    """Send tasks to the real broker from this process (the suite runs them eagerly otherwise)."""
    from portal.celery import app

    previous = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url = BROKER_URL
    app.conf.task_always_eager = False
    yield app
    app.conf.broker_url, app.conf.task_always_eager = previous


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_computes_a_run(tree, tmp_path, broker_app):
    Member.objects.bulk_create([make_member(tree["BRANCH_A"], 1)])
    run = RollupRun.objects.create()
    worker, queue, log = start_worker(tmp_path)
    try:
        send(queue, run.pk)
        wait_for(lambda: status_of(run.pk) in ("succeeded", "failed"), worker, log, "finished run")
    finally:
        stop(worker)
    run.refresh_from_db()
    assert run.status == RollupStatusChoices.SUCCEEDED, run.error
    assert engine.read_figures(run, tree["CITY"], "members")["total"] == 1


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_midway_leaves_the_previous_snapshot_and_a_failed_run(tree, tmp_path, broker_app):
    Member.objects.bulk_create([make_member(tree["BRANCH_A"], 1), make_member(tree["BRANCH_B"], 2)])
    previous = run_now()
    Member.objects.bulk_create([make_member(tree["BRANCH_B"], 3)])
    run = RollupRun.objects.create()
    worker, queue, log = start_worker(tmp_path)
    blocker = psycopg.connect(_test_database_dsn())
    try:
        # Hold the roster so the worker's GROUP BY waits inside its snapshot transaction.
        blocker.execute("LOCK TABLE members_member IN ACCESS EXCLUSIVE MODE")
        send(queue, run.pk)
        wait_for(lambda: status_of(run.pk) == "running", worker, log, "running run")
        time.sleep(0.5)
        worker.send_signal(signal.SIGKILL)  # the worker dies mid-run
        worker.wait(timeout=10)
    finally:
        blocker.rollback()  # the dead worker's server session now fails, rolls back and ends
        blocker.close()
        stop(worker)
    # Readers keep the complete previous snapshot meanwhile.
    assert RollupRun.objects.snapshot() == previous
    assert engine.read_figures(previous, tree["CITY"], "members")["total"] == 2
    # Once its session is gone the lock is free: the next start marks the dead run failed.
    wait_for(lambda: engine.fail_stale_runs() > 0 or status_of(run.pk) == "failed", None, log, "stale run detected")
    assert status_of(run.pk) == RollupStatusChoices.FAILED
    assert not RollupRun.objects.get(pk=run.pk).figures.exists()
    assert RollupRun.objects.snapshot() == previous
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s", [engine.RUN_LOCK[1]])
        assert cursor.fetchone()[0] == 0
