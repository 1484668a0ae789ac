"""Database rules no session of the application's role can switch off.

What they keep, whatever a session sets (``SET LOCAL pgtrigger.ignore = ...`` included):

* **Audit events are append-only.** Every table of a django-pghistory event model (any concrete
  subclass of ``pghistory.models.Event``, in any app, found at ``migrate`` time) and every model
  that declares ``append_only = True`` (a record such as a reopening) refuses ``UPDATE`` and
  ``DELETE`` from every role, its owner included.
* **Final states are final.** A model that declares ``final_state = FinalState(...)`` (approved
  appraisal ratings) refuses every ``UPDATE`` and ``DELETE`` of a row in a final state, except the
  one declared way back (:class:`ReopenRule`), which needs a reopening recorded in the same
  database transaction.
* **No emptying.** ``TRUNCATE`` of any of those tables (directly or through ``CASCADE``) is refused
  unless the session's role has the privileges of the table's owner: the owner runs migrations,
  and the test runner empties its own test database between transactional tests.

Why plain SQL here rather than django-pgtrigger: every function pgtrigger generates starts by
reading the ``pgtrigger.ignore`` setting and skips itself when its name is listed, and PostgreSQL
lets any session set any custom setting. These functions read no setting at all. (The one setting
that skips every trigger, ``session_replication_role``, only a superuser may set.)

What the owner can still do: a table's owner may always ``ALTER TABLE ... DISABLE TRIGGER`` or
drop the table, so no trigger protects data from the owner. Maintenance of history (a retention
purge, say) is exactly that deliberate step: ``ALTER TABLE <events> DISABLE TRIGGER
portal_protect_append_only`` inside the maintenance transaction, then ``ENABLE`` again. That is
why the deployment (README, "Deploying") connects the web and worker processes as a role that owns
nothing (``manage.py db_app_role``) and runs ``migrate`` as the owner: then no request, task or
injected statement can reach the protected rows by any path.

The rules are installed after every ``migrate`` (``post_migrate``) with ``CREATE OR REPLACE``
(PostgreSQL 14 or newer), so a new app's event tables and final states are protected by declaring
them, with no migration of their own; triggers of rules that no longer apply are dropped.
"""

import dataclasses
import hashlib

from django.apps import apps
from django.conf import settings
from django.db import connections, transaction

TRIGGER_PREFIX = "portal_protect"
# The column a reopening model carries; the database stamps it with the inserting transaction.
TRANSACTION_FIELD = "transaction_id"


@dataclasses.dataclass(frozen=True)
class ReopenRule:
    """The only way a row leaves its final state: back to ``to``, under a reopening recorded in the
    same transaction.

    Why a record and not a switch: a session setting can be set by any session (that is how
    ``pgtrigger.ignore`` is abused), and a ``SECURITY DEFINER`` function would have to be executable
    by the application's role, so whoever holds that role could call it just the same (and where
    the application connects as the owner it would be no gate at all). A record, instead, makes
    every reopening visible and permanent, whoever does it:

    * the row may only go back to ``to``, changing nothing but the state and ``may_change``
      (the rating itself, its reason, its member stay as approved);
    * a row of ``recorded_by`` matching it (``matching``, SQL over ``reopening`` and ``OLD``) must
      have been inserted in the same transaction. The database stamps that row's
      ``transaction_id`` with the inserting transaction (so it cannot be prepared in advance or
      reused), and the record is append-only (it cannot be removed afterwards).

    So a session of the application's role can at most do what a city administrator's reopening
    does, and only on the record; it can never quietly rewrite or remove an approved row.
    """

    to: str
    may_change: tuple
    recorded_by: str  # "app_label.ModelName", a model with a ``transaction_id`` column
    matching: str  # SQL condition; ``reopening`` is the record, ``OLD`` the final row


@dataclasses.dataclass(frozen=True)
class FinalState:
    """A model's final states: while ``field`` holds one of ``values`` the row cannot be changed or
    deleted by any path (ORM, admin, raw SQL), except through ``reopen``.

    ``message`` is the database error's text (``%`` is replaced by the row's id).
    """

    field: str
    values: tuple
    reopen: ReopenRule = None
    message: str = "This row is in a final state and cannot be changed or deleted (id %)."


def event_models():
    """The concrete django-pghistory event models of every installed app."""
    from pghistory.models import Event

    return [
        model
        for model in apps.get_models()
        if issubclass(model, Event) and model._meta.managed and not model._meta.proxy
    ]


def append_only_models():
    """Models whose rows, once written, stay as written: event models and those declaring ``append_only``."""
    declared = [model for model in apps.get_models() if getattr(model, "append_only", False) is True]
    reopenings = [apps.get_model(state.reopen.recorded_by) for _, state in final_state_models() if state.reopen]
    models = []
    for model in event_models() + declared + reopenings:
        if model not in models:
            models.append(model)
    return models


def final_state_models():
    """``(model, FinalState)`` for every model declaring a final state."""
    return [
        (model, model.final_state)
        for model in apps.get_models()
        if isinstance(getattr(model, "final_state", None), FinalState)
    ]


def _literal(value):
    return "'" + str(value).replace("'", "''") + "'"


def _function_name(kind, table):
    # Identifiers stop at 63 bytes; the hash keeps two long table names apart.
    return "{}_{}_{}_{}".format(TRIGGER_PREFIX, kind, table[:30], hashlib.md5(table.encode()).hexdigest()[:8])


_SHARED_FUNCTIONS = [
    """
    CREATE OR REPLACE FUNCTION portal_protect_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'The records of % are append-only: % refused.', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END
    $$
    """,
    # The owner (migrations, the test runner's flush) may empty a table; the application's role,
    # which owns nothing, may not, even when a careless GRANT ALL gave it the privilege.
    """
    CREATE OR REPLACE FUNCTION portal_protect_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION 'Only the owner of % may empty it: TRUNCATE refused for role %.', TG_TABLE_NAME, current_user
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION portal_protect_stamp_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.{field} := txid_current();
        RETURN NEW;
    END
    $$
    """.format(field=TRANSACTION_FIELD),
]


def _final_state_function(connection, model, final_state):
    quote = connection.ops.quote_name
    table = model._meta.db_table
    state_column = model._meta.get_field(final_state.field).column
    allowed = "FALSE"
    if final_state.reopen:
        rule = final_state.reopen
        may_change = {state_column} | {model._meta.get_field(name).column for name in rule.may_change}
        kept = [field.column for field in model._meta.concrete_fields if field.column not in may_change]
        unchanged = "ROW({}) IS NOT DISTINCT FROM ROW({})".format(
            ", ".join("NEW.{}::text".format(quote(column)) for column in kept),
            ", ".join("OLD.{}::text".format(quote(column)) for column in kept),
        )
        reopening_table = apps.get_model(rule.recorded_by)._meta.db_table
        allowed = """TG_OP = 'UPDATE'
            AND NEW.{state} IS NOT DISTINCT FROM {to}
            AND {unchanged}
            AND EXISTS (
                SELECT 1 FROM {reopenings} AS reopening
                WHERE reopening.{stamp} = txid_current() AND ({matching})
            )""".format(
            state=quote(state_column),
            to=_literal(rule.to),
            unchanged=unchanged,
            reopenings=quote(reopening_table),
            stamp=quote(TRANSACTION_FIELD),
            matching=rule.matching,
        )
    message = final_state.message.replace("'", "''")
    return """
    CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF {allowed} THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '{message}', OLD.{pk}
            USING ERRCODE = 'integrity_constraint_violation';
    END
    $$
    """.format(
        name=_function_name("final", table), allowed=allowed, message=message, pk=quote(model._meta.pk.column)
    )


def protection_statements(connection, existing_tables=None):
    """``(statements, triggers)``: the SQL that installs every rule, and the ``(table, trigger)``
    pairs it creates (only on ``existing_tables`` when given)."""
    quote = connection.ops.quote_name
    statements = [sql.strip() for sql in _SHARED_FUNCTIONS]
    triggers = []

    def trigger(table, name, sql):
        if existing_tables is not None and table not in existing_tables:
            return
        triggers.append((table, name))
        statements.append(sql.format(name=name, table=quote(table)))

    finals = final_state_models()
    protected = {model._meta.db_table for model in append_only_models()} | {m._meta.db_table for m, _ in finals}
    for model in append_only_models():
        trigger(
            model._meta.db_table,
            TRIGGER_PREFIX + "_append_only",
            "CREATE OR REPLACE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION portal_protect_append_only()",
        )
    for model, final_state in finals:
        table = model._meta.db_table
        statements.append(_final_state_function(connection, model, final_state).strip())
        values = ", ".join(_literal(value) for value in final_state.values)
        trigger(
            table,
            TRIGGER_PREFIX + "_final",
            "CREATE OR REPLACE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW "
            "WHEN (OLD." + quote(model._meta.get_field(final_state.field).column) + " IN (" + values + ")) "
            "EXECUTE FUNCTION " + _function_name("final", table) + "()",
        )
        if final_state.reopen:
            reopening = apps.get_model(final_state.reopen.recorded_by)
            reopening._meta.get_field(TRANSACTION_FIELD)  # FieldDoesNotExist names what is missing
            trigger(
                reopening._meta.db_table,
                TRIGGER_PREFIX + "_stamp",
                "CREATE OR REPLACE TRIGGER {name} BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION portal_protect_stamp_transaction()",
            )
    for table in sorted(protected):
        trigger(
            table,
            TRIGGER_PREFIX + "_truncate",
            "CREATE OR REPLACE TRIGGER {name} BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION portal_protect_truncate()",
        )
    return statements, triggers


def install(using="default"):
    """Install (or bring up to date) every rule on the database ``using``; drop stale ones."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(using=using), connection.cursor() as cursor:
        # A partial ``migrate`` (one app, or back to an older migration) may leave some tables out.
        existing = set(connection.introspection.table_names(cursor))
        statements, triggers = protection_statements(connection, existing)
        wanted = set(triggers)
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgname LIKE %s AND c.relnamespace = current_schema()::regnamespace",
            [TRIGGER_PREFIX + "%"],
        )
        for table, name in cursor.fetchall():
            if (table, name) not in wanted:
                cursor.execute("DROP TRIGGER {} ON {}".format(connection.ops.quote_name(name), connection.ops.quote_name(table)))
        for sql in statements:
            cursor.execute(sql)
        role = getattr(settings, "DB_APP_ROLE", None)
        if role:
            for sql in app_role_statements(connection, role):
                cursor.execute(sql)


def install_after_migrate(sender, using="default", **kwargs):
    """``post_migrate`` receiver (connected for the portal app only: once per ``migrate``)."""
    install(using)


def app_role_statements(connection, role):
    """The statements that give ``role`` what the web and worker processes need, and no more.

    The role owns nothing: it reads and writes the application's tables, only reads and appends
    to append-only tables (audit events, recorded reopenings), only reads ``django_migrations``,
    and may not create, alter, drop or truncate anything. Run them again after every ``migrate``
    (``DB_APP_ROLE`` does it automatically), so new tables get their privileges.
    """
    quote = connection.ops.quote_name
    append_only = {model._meta.db_table for model in append_only_models()}
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        )
        tables = [row[0] for row in cursor.fetchall()]
    role, schema_name = quote(role), quote(schema)
    statements = [
        "GRANT CONNECT ON DATABASE {} TO {}".format(quote(connection.settings_dict["NAME"]), role),
        "GRANT USAGE ON SCHEMA {} TO {}".format(schema_name, role),
        # Start from nothing, so a table that became append-only loses UPDATE and DELETE.
        "REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}".format(schema_name, role),
        "REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}".format(schema_name, role),
    ]
    for table in tables:
        if table == "django_migrations":
            privileges = "SELECT"
        elif table in append_only:
            privileges = "SELECT, INSERT"
        else:
            privileges = "SELECT, INSERT, UPDATE, DELETE"
        statements.append("GRANT {} ON {}.{} TO {}".format(privileges, schema_name, quote(table), role))
    statements.append("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}".format(schema_name, role))
    return statements
