"""``manage.py restore FILE --database-url URL``: a backup restored into an empty database."""

import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _

from portal import pgtools

# What makes a database "not empty": any table, sequence, view or materialized view outside the
# system schemas (a fresh CREATE DATABASE has none).
_USER_RELATIONS = """
    SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'S', 'v', 'm')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp%%'
"""


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into an EMPTY database (create it first, "
        "e.g. `createdb portal_restored`); a database that holds any table is refused. All or "
        "nothing: one transaction, stopping at the first error."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The archive written by `manage.py backup`.")
        parser.add_argument(
            "--database-url",
            help="postgres://... of the empty database to restore into (default: the configured DATABASE_URL, "
            "which is refused unless it is empty).",
        )

    def handle(self, file, database_url=None, **options):
        archive = Path(file)
        if not archive.is_file():
            raise CommandError(_("No backup file at {path}.").format(path=archive))
        settings_dict = (
            pgtools.settings_from_url(database_url) if database_url else connections[DEFAULT_DB_ALIAS].settings_dict
        )
        import psycopg

        try:
            with psycopg.connect(**pgtools.connection_kwargs(settings_dict)) as connection:
                relations = connection.execute(_USER_RELATIONS).fetchone()[0]
                major = connection.info.server_version // 10000
        except psycopg.OperationalError as error:
            raise CommandError(_("Cannot connect to the database to restore into: {error}").format(error=error)) from None
        if relations:
            raise CommandError(
                _(
                    "The database {name} is not empty ({count} tables, sequences or views): a backup is restored "
                    "only into an empty database. Create a new one (createdb) and pass its URL with --database-url."
                ).format(name=settings_dict["NAME"], count=relations)
            )
        pg_restore = pgtools.find("pg_restore", major)
        result = subprocess.run(
            [
                str(pg_restore),
                "--dbname",
                settings_dict["NAME"],
                # Objects belong to the user restoring; grants to other roles are made again with
                # `manage.py db_app_role` (the roles of another server may not exist here).
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                str(archive),
            ],
            env=pgtools.client_env(settings_dict),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise CommandError(
                _("pg_restore failed (nothing was restored): {error}").format(error=result.stderr.strip())
            )
        self.stdout.write(
            _("Restored {path} into database {name} ({program}).").format(
                path=archive, name=settings_dict["NAME"], program=pg_restore
            )
        )
