"""A real Celery worker, against the broker in CELERY_BROKER_URL, runs a task to completion.

The rest of the suite runs tasks eagerly (settings_test); this test is the one that proves the
Procfile's worker really consumes from the broker and reaches the (test) database.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from celery import Celery
from django.contrib.auth import get_user_model
from django.db import connection

BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
BASE_DIR = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 90

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(
        not BROKER_URL or BROKER_URL.startswith("filesystem"),
        reason="CELERY_BROKER_URL is not set to a real broker (Redis or RabbitMQ); .ci/run sets it",
    ),
]


def result_backend_for(broker_url):
    # Redis stores results itself; for AMQP, results come back as messages (rpc://).
    return broker_url if broker_url.startswith(("redis://", "rediss://")) else "rpc://"


def database_url_of_test_database():
    """DATABASE_URL with the database name replaced by the test database's, for the worker."""
    settings = connection.settings_dict
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + quote(settings["NAME"])))


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_ping_task(tmp_path):
    # Committed (transaction=True), so the worker's own connection sees it.
    user = get_user_model().objects.create_user(username="worker-ping", password="unused-password")
    queue = "test-ping-{}".format(uuid.uuid4().hex[:12])
    backend = result_backend_for(BROKER_URL)
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="portal.settings",
        SECRET_KEY="test-only-secret-key",
        DEBUG="0",
        DATABASE_URL=database_url_of_test_database(),
        CELERY_RESULT_BACKEND=backend,
        CELERY_TASK_ALWAYS_EAGER="0",
    )
    log = tmp_path / "worker.log"
    # A queue of its own, so no other worker on the same broker (a running `make run`) takes the task.
    command = [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool", "solo", "--queues", queue,
               "--hostname", queue + "@%h", "--without-gossip", "--without-mingle", "--loglevel", "INFO"]
    with log.open("w") as output:
        worker = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT)
    client = Celery("test-client", broker=BROKER_URL, backend=backend)
    try:
        result = client.send_task("portal.diagnostics.ping", args=[user.pk], queue=queue)
        deadline = time.monotonic() + WAIT_SECONDS
        while not result.ready():
            assert worker.poll() is None, "the worker exited early:\n" + log.read_text()[-3000:]
            assert time.monotonic() < deadline, "no result within {} s:\n{}".format(WAIT_SECONDS, log.read_text()[-3000:])
            time.sleep(0.5)
        answer = result.get(timeout=5)
    finally:
        stop(worker)
        client.close()
    assert answer == {"pong": True, "database": connection.settings_dict["NAME"], "username": "worker-ping"}
    assert "portal.diagnostics.ping" in log.read_text()
