"""Import jobs (``portal.models.ImportJob``): a large import runs in a Celery worker, with progress.

An app's import page or API view calls ``start_import_job`` with its own Celery task; the task
calls ``run_import_job`` with the app's import function. ``portal`` does the rest for every app:
the uploaded bytes go into the database (web and worker may be different machines), the task is
queued once the job's row is committed, the worker claims the job (a redelivered message does not
import twice), reports the rows read while it runs (on a connection of its own: the import's
transaction is not committed yet), stores the same answer a synchronous import would have given,
clears the file and deletes jobs older than a day.
"""

import datetime
import io
import logging
import time

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal.models import ImportJob, ImportJobStatusChoices

logger = logging.getLogger(__name__)

# A job (and its file, if it was never confirmed) is kept this long for its result page.
JOB_MAX_AGE = datetime.timedelta(days=1)
# A running job whose worker died is claimed again after this long (the task's time limit).
STALE_AFTER = datetime.timedelta(hours=2)
PROGRESS_INTERVAL_SECONDS = 1.0


def _file_error(message):
    return {"errors": [{"row": 0, "field": "file", "message": str(message)}]}


def start_import_job(task, user, kind, uploaded, dry_run=False, keeps_file=False):
    """Store ``uploaded`` (read whole: the caller has checked its size) as a job of ``user`` and
    queue ``task`` (a Celery task taking the job's id) once the job is committed. Returns the job."""
    delete_old_jobs()
    binary = getattr(uploaded, "file", uploaded)
    binary.seek(0)
    data = binary.read()
    job = ImportJob.objects.create(
        user=user,
        kind=kind,
        dry_run=dry_run,
        keeps_file=keeps_file,
        language=translation.get_language() or "",
        file_name=(getattr(uploaded, "name", "") or "")[:255],
        file_size=len(data),
        file_data=data,
    )
    transaction.on_commit(lambda: task.delay(job.pk))
    return job


def confirm_import_job(task, job_id, user, kind):
    """Turn ``user``'s checked (dry-run, succeeded, file kept) job into the real import of the same
    file and queue it. Returns the job, or None when there is no such job (any more): confirming
    twice imports once."""
    claimed = ImportJob.objects.filter(
        pk=job_id, user=user, kind=kind, dry_run=True, keeps_file=True, status=ImportJobStatusChoices.SUCCEEDED
    ).update(
        dry_run=False,
        keeps_file=False,
        status=ImportJobStatusChoices.QUEUED,
        rows_read=0,
        started_at=None,
        finished_at=None,
        language=translation.get_language() or "",
    )
    if not claimed:
        return None
    transaction.on_commit(lambda: task.delay(job_id))
    return ImportJob.objects.defer("file_data").get(pk=job_id)


def delete_old_jobs(now=None):
    """Delete jobs (and their files) created more than ``JOB_MAX_AGE`` ago."""
    cutoff = (now or timezone.now()) - JOB_MAX_AGE
    return ImportJob.objects.filter(created_at__lt=cutoff).delete()[0]


class JobUpload(io.BytesIO):
    """The job's file as the import reads it: a binary file with a ``name``, a ``size`` and
    ``report_rows(n)``, which ``portal.spreadsheets`` calls as it reads."""

    def __init__(self, data, name, report_rows):
        super().__init__(data)
        self.name = name
        self.size = len(data)
        self.report_rows = report_rows


class _ProgressReporter:
    """Writes a job's ``rows_read`` at most once a second, on a database connection of its own,
    autocommitted: the import runs in one transaction that the page polling the job cannot see into."""

    def __init__(self, job_id):
        self.job_id = job_id
        self.rows = 0
        self.last = 0.0
        self.connection = None

    def __call__(self, rows):
        self.rows = rows
        now = time.monotonic()
        if now - self.last < PROGRESS_INTERVAL_SECONDS:
            return
        self.last = now
        try:
            if self.connection is None:
                self.connection = connections.create_connection(DEFAULT_DB_ALIAS)
            with self.connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE {table} SET rows_read = %s WHERE id = %s".format(table=ImportJob._meta.db_table),
                    [rows, self.job_id],
                )
        except Exception:  # noqa: BLE001 - progress is a courtesy; the import must not fail for it
            logger.warning("Could not record the progress of import job %s", self.job_id, exc_info=True)

    def close(self):
        if self.connection is not None:
            self.connection.close()


def _claim(job_id):
    """Mark the job running if it is queued (or running with a dead worker); False if it is not ours
    to run (finished, or running elsewhere: a redelivered message must not import twice)."""
    now = timezone.now()
    claimable = Q(status=ImportJobStatusChoices.QUEUED) | Q(
        status=ImportJobStatusChoices.RUNNING, started_at__lt=now - STALE_AFTER
    )
    updated = ImportJob.objects.filter(claimable, pk=job_id).update(
        status=ImportJobStatusChoices.RUNNING, started_at=now, rows_read=0
    )
    return bool(updated)


def run_import_job(job_id, import_file):
    """Run job ``job_id``: ``import_file(file, user, dry_run)`` is the app's import and returns
    ``(ok, answer)``, the answer being the body of the synchronous API (counts or errors).
    Returns the job's final status (None when the job was not there to run)."""
    if not _claim(job_id):
        return None
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    reporter = _ProgressReporter(job_id)
    upload = JobUpload(bytes(job.file_data), job.file_name, reporter)
    try:
        with translation.override(job.language or None):
            try:
                ok, answer = import_file(upload, job.user, job.dry_run)
            except Exception:  # noqa: BLE001 - a job that breaks must say so, not stay "running"
                logger.exception("Import job %s failed", job_id)
                ok, answer = False, _file_error(
                    _("The import stopped because of an error on the server; nothing was imported. Please try again.")
                )
    finally:
        reporter.close()
    keep = job.dry_run and job.keeps_file and ok
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJobStatusChoices.SUCCEEDED if ok else ImportJobStatusChoices.FAILED,
        result=answer,
        rows_read=reporter.rows,
        finished_at=timezone.now(),
        keeps_file=keep,
        **({} if keep else {"file_data": b""}),
    )
    return ImportJobStatusChoices.SUCCEEDED if ok else ImportJobStatusChoices.FAILED


def job_answer(job):
    """The job as API.md "Import" describes it: status and, once finished, the result."""
    return {
        "id": job.pk,
        "status": job.status,
        "dry_run": job.dry_run,
        "rows_read": job.rows_read,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "result": job.result if job.finished else None,
    }


def run_importer_job(job_id, importer_class):
    """Run job ``job_id`` with an import declared on ``portal.importer`` (an app's Celery task is
    this one call): its answer is the synchronous API's, ``{"detail": ...}`` when it is refused."""
    from portal.importer import ImportRefused

    def import_file(upload, user, dry_run):
        try:
            result = importer_class(user).run(upload, dry_run=dry_run)
        except ImportRefused as refused:
            return False, {"detail": refused.message}  # the API's 429 body
        return result.ok, result.as_dict()

    return run_import_job(job_id, import_file)
