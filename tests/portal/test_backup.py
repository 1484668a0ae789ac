"""Backup and restore (``manage.py backup`` / ``manage.py restore``): a round trip serves the same portal.

The data must be committed for pg_dump to see it, hence ``transaction=True``. The restored copy is
a new database beside the test database, dropped at the end.
"""

from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from members.models import Member, MemberEvent
from portal import pgtools
from portal.models import RollupRun, RollupStatusChoices
from portal.rollups import engine

pytestmark = pytest.mark.django_db(transaction=True)

STATS_URLS = ("/api/v1/stats/members/?org=CITY", "/api/v1/stats/organizations/?org=COUNTY")


def url_for(settings_dict, name):
    user = quote(settings_dict.get("USER") or "", safe="")
    password = ":" + quote(settings_dict["PASSWORD"], safe="") if settings_dict.get("PASSWORD") else ""
    host = quote(str(settings_dict.get("HOST") or "localhost"), safe="")
    port = ":{}".format(settings_dict["PORT"]) if settings_dict.get("PORT") else ""
    return "postgres://{}{}@{}{}/{}".format(user, password, host, port, name)


@pytest.fixture
def empty_database():
    """A new, empty database on the test server (dropped afterwards): ``(name, url)``."""
    settings_dict = connection.settings_dict
    name = settings_dict["NAME"] + "_restored"
    admin = {**pgtools.connection_kwargs(settings_dict), "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**admin) as server:
        server.execute('DROP DATABASE IF EXISTS "{}" WITH (FORCE)'.format(name))
        server.execute('CREATE DATABASE "{}" TEMPLATE template0'.format(name))
    yield name, url_for(settings_dict, name)
    with psycopg.connect(**admin) as server:
        server.execute('DROP DATABASE IF EXISTS "{}" WITH (FORCE)'.format(name))


def portal_answers(api_as, members):
    client = api_as("city_admin")
    answers = {}
    for url in STATS_URLS:
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        answers[url] = response.json()
    answers["members"] = client.get("/api/v1/members/?page_size=1000").json()
    answers["history"] = {
        member.pk: list(MemberEvent.objects.filter(pgh_obj_id=member.pk).order_by("pgh_id").values_list("pgh_label", "name"))
        for member in members
    }
    answers["history_events"] = MemberEvent.objects.count()
    answers["runs"] = list(RollupRun.objects.values_list("pk", "status"))
    return answers


def served_from(database_name):
    """Point the test's connection at another database (closes the current connection)."""
    connection.close()
    connection.settings_dict["NAME"] = database_name


def test_a_restored_backup_serves_the_same_statistics_and_history(api_as, make_member, tmp_path, empty_database):
    members = [make_member("BRANCH_A"), make_member("BRANCH_B", status="probationary", full_member_on=None)]
    members += [make_member("BRANCH_C", name="Renamed later")]
    members[2].name = "Renamed"
    members[2].save()
    run = RollupRun.objects.create()
    assert engine.execute_run(run.pk) == RollupStatusChoices.SUCCEEDED
    before = portal_answers(api_as, members)
    assert before["history_events"] >= 4 and before[STATS_URLS[0]]  # something to compare

    archive = tmp_path / "portal.dump"
    call_command("backup", output=str(archive))
    assert archive.stat().st_size > 0 and archive.read_bytes()[:5] == b"PGDMP"
    assert not list(Path(tmp_path).glob("*.partial"))

    name, url = empty_database
    call_command("restore", str(archive), database_url=url)
    original = connection.settings_dict["NAME"]
    try:
        served_from(name)
        after = portal_answers(api_as, members)
        assert Member.objects.count() == 3
    finally:
        served_from(original)
    assert after == before


def test_restore_refuses_a_database_that_is_not_empty(tmp_path, tree):
    archive = tmp_path / "portal.dump"
    call_command("backup", output=str(archive))
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(archive), database_url=url_for(connection.settings_dict, connection.settings_dict["NAME"]))
    assert Member.objects.model.objects.count() == 0 and tree["CITY"].pk  # nothing touched


def test_restore_of_a_missing_file_says_so(empty_database):
    with pytest.raises(CommandError, match="No backup file"):
        call_command("restore", "/nonexistent/portal.dump", database_url=empty_database[1])


def test_the_client_program_matches_the_server_version(monkeypatch):
    found = [(18, Path("/embedded/pg_dump")), (16, Path("/usr/lib/postgresql/16/bin/pg_dump")),
             (15, Path("/usr/lib/postgresql/15/bin/pg_dump"))]
    monkeypatch.setattr(pgtools, "candidates", lambda program: found)
    assert pgtools.find("pg_dump", 15) == Path("/usr/lib/postgresql/15/bin/pg_dump")
    assert pgtools.find("pg_dump", 17) == Path("/embedded/pg_dump")  # none of 17: the newest above
    with pytest.raises(CommandError, match="PostgreSQL 19 or newer"):
        pgtools.find("pg_dump", 19)
