"""Database protections no session of the application's role can switch off (security audit,
issue 8, finding 7): audit events append-only, approved ratings final, no TRUNCATE, whatever the
session sets; the application's role made by ``manage.py db_app_role`` owns nothing."""

import contextlib
import io
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from appraisal import services
from appraisal.models import Rating, Reopening
from portal.protections import append_only_models, event_models, final_state_models
from tests.appraisal.conftest import city_round, people  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

EVENT_TABLE = "appraisal_ratingevent"


def sql(statement, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def refused(statement, params=None, match=None):
    """The statement fails (in a savepoint, so the test's transaction goes on)."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        sql(statement, params)
    if match:
        assert match in str(caught.value), caught.value
    return str(caught.value)


def ignore_every_trigger():
    """What the finding did: tell pgtrigger to skip every trigger there is."""
    names = [row[0] for row in sql("SELECT DISTINCT tgname FROM pg_trigger WHERE NOT tgisinternal")]
    sql("SET LOCAL pgtrigger.ignore = %s", ["{" + ",".join(names) + "}"])


@pytest.fixture
def approved(city_round, people):  # noqa: F811
    """Branch A's ratings, approved."""
    ratings = [
        Rating.objects.create(round=city_round, member=member, organization=member.organization, rating="qualified")
        for member in people["A"]
    ]
    Rating.objects.filter(pk__in=[r.pk for r in ratings]).update(status="approved")
    assert Rating.objects.filter(status="approved").count() == 4
    return ratings[0]


@pytest.fixture
def app_role(tree):
    """A role like the README deployment's: it owns nothing, and has what db_app_role grants."""
    role = "h4_app_" + uuid.uuid4().hex[:10]  # roles are cluster-wide: several test databases share them
    sql("CREATE ROLE {} NOLOGIN".format(role))
    call_command("db_app_role", role, "--execute", stdout=io.StringIO())
    return role


@contextlib.contextmanager
def acting_as(role):
    sql("SET ROLE {}".format(role))
    try:
        yield
    finally:
        sql("RESET ROLE")


# --- what is installed -----------------------------------------------------------------------

def test_every_event_table_and_final_state_carries_the_triggers():
    tables = {model._meta.db_table for model in append_only_models()} | {m._meta.db_table for m, _ in final_state_models()}
    assert {model._meta.db_table for model in event_models()} <= tables
    assert {"members_memberevent", "appraisal_ratingevent", "appraisal_reopening", "appraisal_rating"} <= tables
    rows = sql(
        "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname LIKE 'portal_protect%%'"
    )
    installed = {}
    for table, name in rows:
        installed.setdefault(table, set()).add(name)
    for table in tables:
        assert "portal_protect_truncate" in installed.get(table, set()), table
    for model in append_only_models():
        assert "portal_protect_append_only" in installed[model._meta.db_table]
    assert "portal_protect_final" in installed["appraisal_rating"]


def test_no_protection_function_reads_a_session_setting():
    bodies = sql("SELECT p.proname, p.prosrc FROM pg_proc p WHERE p.proname LIKE 'portal_protect%%'")
    assert len(bodies) >= 4
    for name, body in bodies:
        assert "current_setting" not in body and "pgtrigger" not in body, name


def test_installing_again_changes_nothing_and_drops_stale_triggers():
    from portal.protections import install

    sql("CREATE OR REPLACE TRIGGER portal_protect_stale BEFORE TRUNCATE ON members_member "
        "FOR EACH STATEMENT EXECUTE FUNCTION portal_protect_truncate()")
    before = sql("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'portal_protect%%'")[0][0]
    install()
    after = sql("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'portal_protect%%'")[0][0]
    assert after == before - 1
    assert not sql("SELECT 1 FROM pg_trigger WHERE tgname = 'portal_protect_stale'")


# --- the owner's session (migrations, tests, make run) ---------------------------------------

def test_even_the_owner_cannot_change_an_approved_rating_or_an_event_whatever_it_sets(approved):
    ignore_every_trigger()
    refused("UPDATE appraisal_rating SET rating = 'outstanding' WHERE id = %s", [approved.pk], "approved rating is final")
    refused("UPDATE appraisal_rating SET status = 'draft' WHERE id = %s", [approved.pk], "approved rating is final")
    refused("DELETE FROM appraisal_rating WHERE id = %s", [approved.pk], "approved rating is final")
    assert sql("SELECT count(*) FROM " + EVENT_TABLE)[0][0] > 0
    refused("UPDATE {} SET rating = 'outstanding'".format(EVENT_TABLE), match="append-only")
    refused("DELETE FROM {}".format(EVENT_TABLE), match="append-only")
    approved.refresh_from_db()
    assert (approved.rating, approved.status) == ("qualified", "approved")


def test_the_owner_may_empty_tables_as_the_test_runner_does(approved):
    with transaction.atomic():
        sql("TRUNCATE {}, appraisal_reopening".format(EVENT_TABLE))
        assert sql("SELECT count(*) FROM " + EVENT_TABLE)[0][0] == 0
        transaction.set_rollback(True)
    assert sql("SELECT count(*) FROM " + EVENT_TABLE)[0][0] > 0


# --- the application's role ------------------------------------------------------------------

def test_db_app_role_grants_only_appending_to_append_only_tables(app_role):
    def can(table, privilege):
        return sql("SELECT has_table_privilege(%s, %s, %s)", [app_role, table, privilege])[0][0]

    assert can("members_member", "UPDATE") and can("appraisal_rating", "DELETE")
    for table in ("members_memberevent", "appraisal_ratingevent", "appraisal_reopening"):
        assert can(table, "INSERT") and can(table, "SELECT")
        assert not can(table, "UPDATE") and not can(table, "DELETE") and not can(table, "TRUNCATE")
    assert can("django_migrations", "SELECT") and not can("django_migrations", "INSERT")
    owns = sql("SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = %s)", [app_role])
    assert owns[0][0] == 0


def test_db_app_role_prints_the_statements_and_refuses_an_owner():
    out = io.StringIO()
    with pytest.raises(CommandError, match="own nothing"):
        call_command("db_app_role", sql("SELECT current_user")[0][0], stdout=out)
    role = "h4_print_" + uuid.uuid4().hex[:10]
    sql("CREATE ROLE {} NOLOGIN".format(role))
    call_command("db_app_role", role, stdout=out)
    printed = out.getvalue()
    assert 'GRANT SELECT, INSERT ON "public"."appraisal_ratingevent" TO "{}";'.format(role) in printed
    assert 'GRANT SELECT, INSERT, UPDATE, DELETE ON "public"."members_member" TO "{}";'.format(role) in printed


def test_the_app_role_writes_normally(app_role, city_round, people):  # noqa: F811
    member = people["B"][0]
    with acting_as(app_role):
        rating = Rating.objects.create(round=city_round, member=member, organization=member.organization, rating="qualified")
        Rating.objects.filter(pk=rating.pk).update(rating="outstanding")  # a draft may change
        Rating.objects.filter(pk=rating.pk).update(status="approved")
        events = sql("SELECT count(*) FROM {} WHERE pgh_obj_id = %s".format(EVENT_TABLE), [rating.pk])[0][0]
    assert events == 3  # insert, two updates: history written by the app role


def test_the_app_role_cannot_change_approved_ratings_or_events_whatever_it_sets(app_role, approved):
    with acting_as(app_role):
        ignore_every_trigger()
        refused("UPDATE appraisal_rating SET rating = 'unqualified' WHERE id = %s", [approved.pk], "approved rating is final")
        refused("DELETE FROM appraisal_rating WHERE id = %s", [approved.pk], "approved rating is final")
        refused("UPDATE {} SET rating = 'unqualified'".format(EVENT_TABLE))
        refused("DELETE FROM {}".format(EVENT_TABLE))
        refused("TRUNCATE {}".format(EVENT_TABLE))
        refused("TRUNCATE appraisal_rating CASCADE")
    approved.refresh_from_db()
    assert (approved.rating, approved.status) == ("qualified", "approved")


def test_even_with_every_privilege_the_app_role_is_refused_by_the_triggers(app_role, approved, city_round, tree, users):
    # A careless deployment: GRANT ALL. The triggers still hold, whatever the session sets.
    Reopening.objects.create(round=city_round, organization=tree["BRANCH_B"], reason="x", ratings_reopened=0, user=users["city_admin"])
    sql("GRANT ALL ON ALL TABLES IN SCHEMA public TO {}".format(app_role))
    sql("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks: TRUNCATE reaches the triggers
    with acting_as(app_role):
        ignore_every_trigger()
        refused("UPDATE appraisal_rating SET rating = 'unqualified' WHERE id = %s", [approved.pk], "approved rating is final")
        refused("UPDATE {} SET rating = 'unqualified'".format(EVENT_TABLE), match="append-only")
        refused("DELETE FROM {}".format(EVENT_TABLE), match="append-only")
        refused("TRUNCATE {}".format(EVENT_TABLE), match="TRUNCATE refused")
        refused("TRUNCATE appraisal_rating CASCADE", match="TRUNCATE refused")
        refused("TRUNCATE appraisal_appraisalround CASCADE", match="TRUNCATE refused")  # reaches the ratings
        refused("DELETE FROM appraisal_reopening", match="append-only")
    assert Rating.objects.filter(status="approved").count() == 4


def test_the_city_administrators_reopening_works_as_the_app_role(app_role, approved, city_round, users):
    with acting_as(app_role):
        assert services.reopen(city_round, users["city_admin"], approved.organization, "Wrong member") == 4
        approved.refresh_from_db()
        assert approved.status == "draft" and approved.rating == "qualified"
        approved.rating = "outstanding"
        approved.save()  # a draft again: the branch may correct it
        reopening = city_round.reopenings.get()
        refused("UPDATE appraisal_reopening SET reason = 'nothing' WHERE id = %s", [reopening.pk])
        refused("DELETE FROM appraisal_reopening WHERE id = %s", [reopening.pk])


def test_a_reopening_authorizes_only_its_own_transition(app_role, approved, city_round, tree, users):
    other = Rating.objects.exclude(pk=approved.pk).filter(status="approved").first()
    with acting_as(app_role):
        # Recorded for another organization: it does not reach branch A's ratings.
        Reopening.objects.create(round=city_round, organization=tree["BRANCH_B"], reason="x", ratings_reopened=1, user=users["city_admin"])
        refused("UPDATE appraisal_rating SET status = 'draft' WHERE id = %s", [approved.pk], "approved rating is final")
        # Recorded for branch A: back to draft only, the rating itself unchanged.
        Reopening.objects.create(round=city_round, organization=tree["BRANCH_A"], reason="x", ratings_reopened=1, user=users["city_admin"])
        refused(
            "UPDATE appraisal_rating SET status = 'draft', rating = 'unqualified' WHERE id = %s", [approved.pk], "approved rating is final"
        )
        refused("UPDATE appraisal_rating SET status = 'publicized' WHERE id = %s", [approved.pk], "approved rating is final")
        refused("DELETE FROM appraisal_rating WHERE id = %s", [other.pk], "approved rating is final")
        sql("UPDATE appraisal_rating SET status = 'draft', approved_at = NULL WHERE id = %s", [approved.pk])


def test_a_reopening_cannot_be_prepared_for_a_later_transaction(app_role, approved, city_round, tree, users):
    current = sql("SELECT txid_current()")[0][0]
    with acting_as(app_role):
        forged = Reopening.objects.create(
            round=city_round, organization=tree["BRANCH_A"], reason="x", ratings_reopened=4, user=users["city_admin"],
            transaction_id=current + 1,
        )
        stamped = sql("SELECT transaction_id FROM appraisal_reopening WHERE id = %s", [forged.pk])[0][0]
    assert stamped == current  # the database wrote the inserting transaction, not the forged one


def test_migrate_grants_the_configured_app_role(settings, tree):
    from portal.protections import install

    role = "h4_auto_" + uuid.uuid4().hex[:10]
    sql("CREATE ROLE {} NOLOGIN".format(role))
    assert not sql("SELECT has_table_privilege(%s, 'members_member', 'SELECT')", [role])[0][0]
    settings.DB_APP_ROLE = role
    install()  # what post_migrate runs after every migrate
    assert sql("SELECT has_table_privilege(%s, 'members_member', 'UPDATE')", [role])[0][0]
    assert not sql("SELECT has_table_privilege(%s, 'members_memberevent', 'UPDATE')", [role])[0][0]
