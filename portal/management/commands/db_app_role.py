"""``manage.py db_app_role <role> [--execute]``: the privileges of the database role the web and
worker processes connect as (README, "Deploying on several machines")."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

from portal.protections import app_role_statements


class Command(BaseCommand):
    help = (
        "Print (or, with --execute, run as the owner) the GRANT statements for the application's "
        "database role: it owns nothing, reads and writes the tables, only appends to audit events "
        "and other append-only records. Run it again after every migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="The existing role the web and worker processes connect as.")
        parser.add_argument("--execute", action="store_true", help="Run the statements instead of printing them.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, role, execute=False, database=DEFAULT_DB_ALIAS, **options):
        connection = connections[database]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rolsuper, EXISTS (SELECT 1 FROM pg_class WHERE relowner = pg_roles.oid AND relnamespace = current_schema()::regnamespace) "
                "FROM pg_roles WHERE rolname = %s",
                [role],
            )
            found = cursor.fetchone()
        if found is None:
            raise CommandError("No database role {!r}: create it first (CREATE ROLE ... LOGIN PASSWORD ...).".format(role))
        if found[0] or found[1]:
            # Such a role could switch the protections off (ALTER TABLE ... DISABLE TRIGGER).
            raise CommandError(
                "Role {!r} is a superuser or owns tables here: the application's role must own nothing.".format(role)
            )
        statements = app_role_statements(connection, role)
        if not execute:
            for sql in statements:
                self.stdout.write(sql + ";")
            return
        try:
            with transaction.atomic(using=database), connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
        except DatabaseError as error:
            raise CommandError("Granting failed (run it as the owner of the tables): {}".format(error)) from None
        self.stdout.write("Granted {} statements to {}.".format(len(statements), role))
