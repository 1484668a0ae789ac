"""Import jobs (security audit, issue 8 finding 4): a large import runs in a Celery worker.

The tests run tasks eagerly (settings_test); ``IMPORT_ASYNC_BYTES=0`` sends every file to a job.
A job is queued when its row commits, reports the rows read while it runs, and ends with the same
answer as the synchronous import; it is its uploader's alone (anyone else: 404).
"""

import datetime

import pytest
from django.test import override_settings

from members.models import Member
from members.tasks import MEMBER_IMPORT_KIND, import_members_job
from portal import jobs
from portal.models import ImportJob
from tests.members.import_helpers import csv_bytes, id_number, row, upload

IMPORT = "/api/v1/members/import/"
PAGE = "/members/import/"

pytestmark = pytest.mark.django_db


def rows(count, start=101):
    """``count`` valid rows of BRANCH_A with distinct ID numbers (400 per birth day)."""
    made = []
    for index in range(count):
        birth = datetime.date(1970, 1, 1) + datetime.timedelta(days=index // 400)
        number = id_number(birth.strftime("%Y%m%d"), "{:03d}".format(start + 2 * (index % 400)))
        made.append(row(id_number=number, birth_date=birth.isoformat(), name="Member {}".format(index)))
    return made


def post(client, data, **extra):
    return client.post(IMPORT, {"file": upload(data), **extra}, format="multipart")


def poll(client, answer):
    assert answer.status_code == 202, answer.content
    assert answer.json()["job"].endswith("/api/v1/import-jobs/{}/".format(answer.json()["id"]))
    return client.get(answer.json()["job"])


def synchronous(client, data, **extra):
    with override_settings(IMPORT_ASYNC_BYTES=10 ** 9):
        response = post(client, data, **extra)
    return response


@override_settings(IMPORT_ASYNC_BYTES=0)
def test_api_job_created_then_done_with_the_same_answer_as_the_synchronous_import(api_as, django_capture_on_commit_callbacks):
    client = api_as("secretary_a")
    data = csv_bytes(rows(3))
    expected = synchronous(client, data, dry_run="true")
    assert expected.status_code == 200

    with django_capture_on_commit_callbacks(execute=False) as queued:
        answer = post(client, data, dry_run="true")
    assert len(queued) == 1  # queued once the job's row is committed, not before
    waiting = poll(client, answer).json()
    assert (waiting["status"], waiting["result"], waiting["rows_read"]) == ("queued", None, 0)

    queued[0]()  # the worker (eager)
    done = poll(client, answer).json()
    assert done["status"] == "succeeded" and done["dry_run"] is True
    assert done["result"] == expected.json() == {"created": 3, "updated": 0, "dry_run": True}
    assert done["rows_read"] == 4  # the header and three rows
    assert not Member.objects.exists()
    # Nothing kept that is no longer needed: the API's file goes once the job is done.
    assert bytes(ImportJob.objects.get().file_data) == b""


@override_settings(IMPORT_ASYNC_BYTES=0)
def test_api_job_real_run_writes_and_an_invalid_file_fails_with_the_synchronous_errors(api_as, django_capture_on_commit_callbacks):
    client = api_as("secretary_a")
    with django_capture_on_commit_callbacks(execute=True):
        answer = post(client, csv_bytes(rows(2)))
    assert poll(client, answer).json()["result"] == {"created": 2, "updated": 0, "dry_run": False}
    assert Member.objects.count() == 2

    bad = csv_bytes(rows(2, start=201) + [row(id_number=id_number(sequence="301"), gender="other", organization="BRANCH_B")])
    expected = synchronous(client, bad)
    assert expected.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        answer = post(client, bad)
    failed = poll(client, answer).json()
    assert failed["status"] == "failed" and failed["result"] == expected.json()
    assert Member.objects.count() == 2


@override_settings(IMPORT_ASYNC_BYTES=0)
def test_a_job_is_its_uploaders_alone(api_as, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answer = post(api_as("secretary_a"), csv_bytes(rows(1)), dry_run="true")
    url = answer.json()["job"]
    assert api_as("secretary_a").get(url).status_code == 200
    for someone_else in ("secretary_b", "county_staff", "city_admin"):
        response = api_as(someone_else).get(url)
        assert response.status_code == 404 and "detail" in response.json()
    assert api_as("anonymous").get(url).status_code in (401, 403)
    assert api_as("secretary_a").get("/api/v1/import-jobs/{}/".format(answer.json()["id"] + 1000)).status_code == 404


@override_settings(IMPORT_ASYNC_BYTES=300)
def test_only_files_above_the_threshold_become_jobs(api_as, django_capture_on_commit_callbacks):
    small = csv_bytes(rows(1))
    assert len(small) < 300
    assert post(api_as("secretary_a"), small, dry_run="true").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert post(api_as("secretary_a"), csv_bytes(rows(5)), dry_run="true").status_code == 202
    assert ImportJob.objects.count() == 1


@override_settings(IMPORT_ASYNC_BYTES=0)
def test_page_job_progress_then_preview_then_confirm(client_as, users, django_capture_on_commit_callbacks):
    client = client_as("secretary_a")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(PAGE, {"file": upload(csv_bytes(rows(3)))})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == "/members/import/jobs/{}/".format(job.pk)
    # While it waits: the progress page, and the fragment htmx polls.
    page = client.get(response["Location"]).content.decode()
    assert 'id="import-progress"' in page and 'hx-trigger="every 2s"' in page
    fragment = client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert 'id="import-progress"' in fragment.content.decode() and "<html" not in fragment.content.decode()
    # Someone else's job is not found.
    assert client_as("secretary_b").get(response["Location"]).status_code == 404

    for callback in queued:
        callback()
    polled = client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert polled.status_code == 204 and polled["HX-Refresh"] == "true"
    page = client.get(response["Location"]).content.decode()
    assert 'id="import-preview"' in page and "create 3 members" in page
    assert 'name="job" value="{}"'.format(job.pk) in page
    assert not Member.objects.exists()
    assert bytes(ImportJob.objects.get().file_data)  # kept until confirmed

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(PAGE, {"confirm": "1", "job": str(job.pk)})
    assert confirmed.status_code == 302 and confirmed["Location"] == response["Location"]
    assert 'id="import-done"' in client.get(confirmed["Location"]).content.decode()
    assert Member.objects.count() == 3
    assert bytes(ImportJob.objects.get().file_data) == b""
    # Confirming twice imports once; nobody else can confirm it.
    assert client.post(PAGE, {"confirm": "1", "job": str(job.pk)}).status_code == 400
    assert Member.objects.count() == 3


@override_settings(IMPORT_ASYNC_BYTES=0)
def test_page_job_errors_show_the_error_table(client_as, django_capture_on_commit_callbacks):
    client = client_as("secretary_a")
    bad = csv_bytes([row(), row(id_number=id_number(sequence="125"), gender="other")])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PAGE, {"file": upload(bad)})
    page = client.get(response["Location"]).content.decode()
    assert 'id="import-errors"' in page and 'data-row="2" data-field="gender"' in page
    assert "import-confirm" not in page
    assert bytes(ImportJob.objects.get().file_data) == b""


def test_a_job_that_breaks_fails_with_a_message_instead_of_running_forever(users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job = jobs.start_import_job(import_members_job, users["secretary_a"], MEMBER_IMPORT_KIND, upload(csv_bytes(rows(1))))

    def broken(upload, user, dry_run):
        raise RuntimeError("boom")

    assert jobs.run_import_job(job.pk, broken) == "failed"
    job.refresh_from_db()
    assert job.status == "failed" and job.finished_at is not None
    assert job.result["errors"][0]["field"] == "file" and "nothing was imported" in job.result["errors"][0]["message"]
    # A redelivered message finds the job finished and leaves it alone.
    assert jobs.run_import_job(job.pk, broken) is None


def test_old_jobs_are_deleted_when_a_new_one_starts(users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        old = jobs.start_import_job(import_members_job, users["secretary_a"], MEMBER_IMPORT_KIND, upload(csv_bytes(rows(1))))
        ImportJob.objects.filter(pk=old.pk).update(created_at=old.created_at - datetime.timedelta(days=2))
        new = jobs.start_import_job(import_members_job, users["secretary_a"], MEMBER_IMPORT_KIND, upload(csv_bytes(rows(1))))
    assert list(ImportJob.objects.values_list("pk", flat=True)) == [new.pk]


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_while_the_import_runs(tree, users, monkeypatch):
    # Committed rows (transaction=True), as with a real worker: the progress is written on a
    # connection of its own while the import's transaction is still open, and seen from outside it.
    monkeypatch.setattr(jobs, "PROGRESS_INTERVAL_SECONDS", 0)
    job = ImportJob.objects.create(
        user=users["secretary_a"], kind=MEMBER_IMPORT_KIND, dry_run=True, file_name="big.csv", file_data=csv_bytes(rows(2500))
    )
    seen = []
    original = jobs._ProgressReporter.__call__

    def watching(self, count):
        original(self, count)
        # Another connection (as the page polling the job): a fresh one, outside the import's transaction.
        from django.db import DEFAULT_DB_ALIAS, connections

        other = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT status, rows_read FROM portal_importjob WHERE id = %s", [job.pk])
                seen.append(cursor.fetchone())
        finally:
            other.close()

    monkeypatch.setattr(jobs._ProgressReporter, "__call__", watching)
    assert import_members_job(job.pk) == "succeeded"
    assert ("running", 1000) in seen and ("running", 2000) in seen
    job.refresh_from_db()
    assert job.rows_read == 2501 and job.result == {"created": 2500, "updated": 0, "dry_run": True}


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_an_import_job_from_the_database(tree, users, tmp_path):
    """Through the broker in CELERY_BROKER_URL (skipped without one, as tests/portal/test_celery_worker.py):
    the worker reads the file from the job's row, not from the web node's disk."""
    import subprocess
    import sys
    import time
    import uuid

    from celery import Celery

    from tests.portal import test_celery_worker as worker_test

    if not worker_test.BROKER_URL or worker_test.BROKER_URL.startswith("filesystem"):
        pytest.skip("CELERY_BROKER_URL is not set to a real broker (Redis or RabbitMQ); .ci/run sets it")
    job = ImportJob.objects.create(
        user=users["secretary_a"], kind=MEMBER_IMPORT_KIND, file_name="roster.csv", file_data=csv_bytes(rows(3))
    )
    queue = "test-import-{}".format(uuid.uuid4().hex[:12])
    env = dict(
        worker_test.os.environ,
        DJANGO_SETTINGS_MODULE="portal.settings",
        SECRET_KEY="test-only-secret-key",
        DEBUG="0",
        DATABASE_URL=worker_test.database_url_of_test_database(),
        CELERY_TASK_ALWAYS_EAGER="0",
    )
    log = tmp_path / "worker.log"
    command = [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool", "solo", "--queues", queue,
               "--hostname", queue + "@%h", "--without-gossip", "--without-mingle", "--loglevel", "INFO"]
    with log.open("w") as output:
        worker = subprocess.Popen(command, cwd=worker_test.BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT)
    client = Celery("test-client", broker=worker_test.BROKER_URL)
    try:
        client.send_task("members.import_members", args=[job.pk], queue=queue)
        deadline = time.monotonic() + worker_test.WAIT_SECONDS
        while True:
            job.refresh_from_db()
            if job.finished:
                break
            assert worker.poll() is None, "the worker exited early:\n" + log.read_text()[-3000:]
            assert time.monotonic() < deadline, "not done within {} s:\n{}".format(worker_test.WAIT_SECONDS, log.read_text()[-3000:])
            time.sleep(0.5)
    finally:
        worker_test.stop(worker)
        client.close()
    assert job.status == "succeeded", job.result
    assert job.result == {"created": 3, "updated": 0, "dry_run": False} and job.rows_read == 4
    assert Member.objects.count() == 3 and bytes(job.file_data) == b""
