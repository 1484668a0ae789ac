"""Import jobs: a large uploaded file imported by a Celery worker instead of inside a web request.

The file's bytes are kept in the database (not on a web node's disk), so the web node that took
the upload and the worker that reads it may be different machines. ``portal.jobs`` creates, runs
and cleans them up; this module only stores them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJobStatusChoices(models.TextChoices):
    """Where an import job is in its life (values fixed by API.md "Import": the job's status)."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One upload of a roster (or other) file being imported in the background for a user.

    ``kind`` names what is imported (e.g. ``members.member``); ``dry_run`` jobs only check the file.
    While running, ``rows_read`` tells how far the worker has read; when done, ``result`` holds the
    answer the synchronous import would have given (counts, or every error by row), ``succeeded``
    when it wrote (or would write) everything, ``failed`` when it wrote nothing. The file is cleared
    once it is no longer needed: at once, or for a page's checked file when the user confirms it
    (``keeps_file``); jobs are deleted a day after they were created.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=60)
    status = models.CharField(
        _("status"), max_length=20, choices=ImportJobStatusChoices.choices, default=ImportJobStatusChoices.QUEUED
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    keeps_file = models.BooleanField(
        _("keeps the file"), default=False, help_text=_("A checked file kept until the user confirms the import.")
    )
    # The messages of the result are written in the language of whoever uploaded the file.
    language = models.CharField(_("language"), max_length=10, blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(_("file size"), default=0)
    file_data = models.BinaryField(_("file"), blank=True, default=b"", editable=False)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    result = models.JSONField(_("result"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        indexes = [models.Index(fields=["created_at"], name="portal_importjob_created")]

    def __str__(self):
        return "#{} {} {}".format(self.pk, self.kind, self.get_status_display())

    @property
    def finished(self):
        return self.status in (ImportJobStatusChoices.SUCCEEDED, ImportJobStatusChoices.FAILED)
