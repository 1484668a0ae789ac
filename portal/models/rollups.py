"""Rollup runs and their snapshots: every organization's figures, summed over its subtree.

``portal.rollups`` computes them; this module only stores them. A run's figures become visible
in the same commit that marks the run ``succeeded``, and readers only ever read succeeded runs,
so a reader sees one complete snapshot (the old one or the new one), never half of one.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class RollupStatusChoices(models.TextChoices):
    """Where a rollup run is in its life (values fixed by API.md "Rollup runs")."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class RollupRunQuerySet(models.QuerySet):
    def succeeded(self):
        return self.filter(status=RollupStatusChoices.SUCCEEDED)

    def in_progress(self):
        return self.filter(status__in=[RollupStatusChoices.QUEUED, RollupStatusChoices.RUNNING])

    def snapshot(self, as_of=None):
        """The newest succeeded run, or the newest taken on or before the local day ``as_of``."""
        runs = self.succeeded()
        if as_of is not None:
            runs = runs.filter(started_at__date__lte=as_of)
        return runs.order_by("-started_at", "-pk").first()


class RollupRun(models.Model):
    """One computation of the statistics of every party organization at once (a dated snapshot).

    The organization department reads its figures (members by status and category, overdue
    terms, later ratings and coverage) from the newest succeeded run, or "as of" an earlier day
    from an older one. Runs are started by Celery beat every night or by staff on demand; only
    one runs at a time.
    """

    status = models.CharField(
        _("status"), max_length=20, choices=RollupStatusChoices.choices, default=RollupStatusChoices.QUEUED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
        help_text=_("Empty when the schedule started the run."),
    )
    queued_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    # The snapshot is "as of" the moment its transaction read the data, i.e. when it started.
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration = models.DurationField(_("duration"), null=True, blank=True)
    rows_written = models.PositiveIntegerField(_("rows written"), default=0)
    error = models.TextField(_("error"), blank=True)
    # {figure set: [figure names]}: the meaning of each position of RollupFigure.values in this
    # run, kept with the run so old snapshots stay readable when a set gains figures later.
    figure_names = models.JSONField(_("figure names"), default=dict, blank=True, editable=False)

    objects = RollupRunQuerySet.as_manager()

    class Meta:
        ordering = ["-queued_at", "-pk"]
        verbose_name = _("rollup run")
        verbose_name_plural = _("rollup runs")
        indexes = [models.Index(fields=["status", "started_at"], name="portal_rollup_status_started")]

    def __str__(self):
        return "#{} {}".format(self.pk, self.get_status_display())


class RollupFigure(models.Model):
    """The figures of one figure set for one organization's whole subtree in one run.

    ``values`` holds the set's figures in the order its run recorded in ``RollupRun.figure_names``
    (an array of integers: about 150 bytes a row where a JSON object with the names would take
    600); ``key`` tells apart the snapshots of a set that is keyed (an appraisal round), and is
    empty otherwise. Reading one organization's figures is one lookup of the primary key.
    """

    pk = models.CompositePrimaryKey("run_id", "organization_id", "figure_set", "key")
    # No database constraints: 100,000 rows a night need not each check their run and their
    # organization (the engine writes them from both tables), and a snapshot is history that must
    # not stop an organization from being deleted later. Thinning deletes the rows of its runs.
    run = models.ForeignKey(
        RollupRun, on_delete=models.CASCADE, related_name="figures", db_index=False, db_constraint=False
    )
    organization = models.ForeignKey(
        "members.Organization", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    figure_set = models.CharField(max_length=50)
    key = models.CharField(max_length=50, blank=True, default="")
    values = ArrayField(models.BigIntegerField(), default=list)

    class Meta:
        verbose_name = _("rollup figure")
        verbose_name_plural = _("rollup figures")

    def __str__(self):
        return "{} {} {}".format(self.run_id, self.organization_id, self.figure_set)

    @property
    def counts(self):
        """``{figure name: value}`` (reads the run's figure names: one query unless the run is loaded)."""
        return dict(zip(self.run.figure_names.get(self.figure_set, []), self.values))
