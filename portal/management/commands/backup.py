"""``manage.py backup [--output FILE]``: a pg_dump archive (custom format) of the portal's database."""

import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import pgtools


class Command(BaseCommand):
    help = (
        "Write a backup of the database (pg_dump custom format: compressed, restored with "
        "`manage.py restore FILE --database-url URL` into an empty database)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            help="The archive to write (default: var/backups/portal-<date>-<time>.dump). Written beside "
            "it first and renamed when complete, so a failed backup never leaves a partial archive.",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, output=None, database=DEFAULT_DB_ALIAS, **options):
        settings_dict = connections[database].settings_dict
        if output:
            target = Path(output)
        else:
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
            target = Path(settings.BASE_DIR) / "var" / "backups" / "portal-{}.dump".format(stamp)
        target.parent.mkdir(parents=True, exist_ok=True)
        pg_dump = pgtools.find("pg_dump", pgtools.server_major(settings_dict))
        partial = target.with_name(target.name + ".partial")
        result = subprocess.run(
            [str(pg_dump), "--format=custom", "--file", str(partial)],
            env=pgtools.client_env(settings_dict),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            partial.unlink(missing_ok=True)
            raise CommandError(_("pg_dump failed: {error}").format(error=result.stderr.strip()))
        partial.replace(target)
        self.stdout.write(
            _("Backup of database {name} written to {path} ({size:,} bytes, {program}).").format(
                name=settings_dict["NAME"], path=target, size=target.stat().st_size, program=pg_dump
            )
        )
        return None
