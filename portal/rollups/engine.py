"""The rollup engine: every organization's figures, summed over its subtree, in one transaction.

A run, set-based from start to end:

1. each contributor's SQL counts its leaf rows per organization (one ``GROUP BY``);
2. every organization's row is fanned out to all its ancestors: the ancestor at level ``i`` is
   the one whose path equals ``substr(path, 1, 6 * i)`` (the materialized path holds six
   characters per level), so one ``generate_series`` over the depth and one ``GROUP BY`` of the
   ancestor path add everything up; one hash join then turns paths back into organization ids;
3. the sums are written with ``INSERT ... SELECT`` straight from that query.

No query per organization, no ``LIKE`` join. All contributors and the run's ``succeeded`` mark
commit together: readers only read succeeded runs, so they see the previous snapshot until the
new one is complete, and a run that fails midway leaves nothing behind.

Single flight: the worker computing a run holds a session-level PostgreSQL advisory lock
(``RUN_LOCK``). A ``running`` record while nobody holds that lock means its worker died; it is
marked failed (``fail_stale_runs``). Starting a run (``start_rollup``) is serialized by a
transaction-level advisory lock, so two simultaneous requests get the same run.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.models.rollups import RollupFigure, RollupRun, RollupStatusChoices
from portal.rollups.registry import RollupContext, contributors

logger = logging.getLogger(__name__)

PATH_STEP = 6  # characters per level of members_organization.path (members.models.organizations)
# Two-key advisory locks: (namespace, lock). The namespace is arbitrary but fixed for the portal.
LOCK_NAMESPACE = 74_110
RUN_LOCK = (LOCK_NAMESPACE, 1)
START_LOCK = (LOCK_NAMESPACE, 2)
# jsonb_build_object takes at most 100 arguments: build the counts in chunks of 50 pairs.
_PAIRS_PER_CALL = 50
ORGANIZATION_TABLE = "members_organization"


class RollupBusy(Exception):
    """Another worker holds the run lock."""


def _figure_table():
    return connection.ops.quote_name(RollupFigure._meta.db_table)


def rollup_sql(contributor, context):
    """The one ``INSERT ... SELECT`` that writes ``contributor``'s snapshot; ``(sql, params)``."""
    leaf_sql, leaf_params = contributor.leaf_sql(context)
    columns = ["f{}".format(index) for index in range(len(contributor.figures))]
    key_column = ["key"] if contributor.keyed else []
    leaf_columns = ", ".join(["organization_id"] + key_column + columns)
    sums = ", ".join("sum(expanded.{0}) AS {0}".format(column) for column in columns)
    key_select = "expanded.key, " if contributor.keyed else ""
    key_group = ", expanded.key" if contributor.keyed else ""
    pairs = ["%s::text, rolled.{}::bigint".format(column) for column in columns]
    chunks = [pairs[start : start + _PAIRS_PER_CALL] for start in range(0, len(pairs), _PAIRS_PER_CALL)]
    counts = " || ".join("jsonb_build_object({})".format(", ".join(chunk)) for chunk in chunks)
    sql = """
        WITH leaf ({leaf_columns}) AS ({leaf_sql}),
        expanded AS (
            SELECT substr(org.path, 1, {step} * level.i) AS ancestor_path, leaf.*
            FROM leaf
            JOIN {organizations} AS org ON org.id = leaf.organization_id
            CROSS JOIN LATERAL generate_series(1, org.depth) AS level(i)
        ),
        rolled AS (
            SELECT expanded.ancestor_path, {key_select}{sums}
            FROM expanded
            GROUP BY expanded.ancestor_path{key_group}
        )
        INSERT INTO {figures} (run_id, organization_id, figure_set, key, counts)
        SELECT %s, ancestor.id, %s, {key_value}, {counts}
        FROM rolled
        JOIN {organizations} AS ancestor ON ancestor.path = rolled.ancestor_path
    """.format(
        leaf_columns=leaf_columns,
        leaf_sql=leaf_sql,
        step=PATH_STEP,
        organizations=ORGANIZATION_TABLE,
        key_select=key_select,
        sums=sums,
        key_group=key_group,
        figures=_figure_table(),
        key_value="rolled.key" if contributor.keyed else "''",
        counts=counts,
    )
    params = leaf_params + [context.run_id, contributor.figure_set] + list(contributor.figures)
    return sql, params


def floor_sql(contributor, context):
    """Only the contributor's own ``GROUP BY`` (the benchmark's floor); ``(sql, params)``."""
    return contributor.leaf_sql(context)


def compute_snapshot(run, today=None):
    """Write every contributor's figures for ``run``; returns the number of rows written.

    Call inside a transaction (``execute_run`` does): it writes but does not commit.
    """
    context = RollupContext(run_id=run.pk, today=today or timezone.localdate())
    rows = 0
    with connection.cursor() as cursor:
        # A runaway contributor must not hold the snapshot transaction open for ever.
        cursor.execute("SET LOCAL statement_timeout = %s", ["{}s".format(settings.CELERY_TASK_TIME_LIMIT)])
        for contributor in contributors():
            sql, params = rollup_sql(contributor, context)
            cursor.execute(sql, params)
            rows += max(cursor.rowcount, 0)
    return rows


def _try_lock(cursor, key):
    cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", list(key))
    return cursor.fetchone()[0]


def _unlock(cursor, key):
    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", list(key))


def execute_run(run_id, today=None):
    """Compute run ``run_id`` (the Celery task's body). Idempotent: a finished run is left alone.

    Returns the run's final status; raises ``RollupBusy`` when another worker holds the run lock.
    A failure is recorded on the run (``failed`` with the error), not raised: the previous
    snapshot stays the one served.
    """
    with connection.cursor() as cursor:
        if not _try_lock(cursor, RUN_LOCK):
            raise RollupBusy()
    try:
        run = RollupRun.objects.get(pk=run_id)
        if run.status in (RollupStatusChoices.SUCCEEDED, RollupStatusChoices.FAILED):
            return run.status
        # We hold the lock: a "running" record here was left by a worker that died (the task was
        # delivered again, acks_late); computing it again is safe, nothing of it was committed.
        started = timezone.now()
        RollupRun.objects.filter(pk=run_id).update(status=RollupStatusChoices.RUNNING, started_at=started, error="")
        run.started_at = started
        try:
            with transaction.atomic():
                rows = compute_snapshot(run, today=today or timezone.localdate(started))
                finished = timezone.now()
                RollupRun.objects.filter(pk=run_id).update(
                    status=RollupStatusChoices.SUCCEEDED,
                    finished_at=finished,
                    duration=finished - started,
                    rows_written=rows,
                )
        except Exception as error:  # noqa: BLE001 (recorded on the run; the old snapshot stays served)
            logger.exception("Rollup run %s failed", run_id)
            finished = timezone.now()
            RollupRun.objects.filter(pk=run_id).update(
                status=RollupStatusChoices.FAILED,
                finished_at=finished,
                duration=finished - started,
                error="{}: {}".format(type(error).__name__, error)[:2000],
            )
            return RollupStatusChoices.FAILED
        return RollupStatusChoices.SUCCEEDED
    finally:
        with connection.cursor() as cursor:
            _unlock(cursor, RUN_LOCK)


def fail_stale_runs():
    """Mark failed the runs whose worker died: ``running`` while nobody holds the run lock, or
    ``queued`` for longer than a task may live. Returns how many were marked."""
    marked = 0
    with connection.cursor() as cursor:
        if RollupRun.objects.filter(status=RollupStatusChoices.RUNNING).exists() and _try_lock(cursor, RUN_LOCK):
            try:
                # status=running is re-checked on the newest row version by the UPDATE itself, so a
                # run that succeeded a moment ago is not touched.
                marked += RollupRun.objects.filter(status=RollupStatusChoices.RUNNING).update(
                    status=RollupStatusChoices.FAILED,
                    finished_at=timezone.now(),
                    error=_("The worker computing this run stopped before it finished."),
                )
            finally:
                _unlock(cursor, RUN_LOCK)
    too_old = timezone.now() - timedelta(seconds=2 * settings.CELERY_TASK_TIME_LIMIT)
    marked += RollupRun.objects.filter(status=RollupStatusChoices.QUEUED, queued_at__lt=too_old).update(
        status=RollupStatusChoices.FAILED,
        finished_at=timezone.now(),
        error=_("No worker picked this run up in time."),
    )
    return marked


def start_rollup(requested_by=None, queue=None):
    """Start a run, or return the one already queued or running. Returns ``(run, created)``.

    The new run's task is queued only once this transaction has committed (so the worker finds
    the row). ``queue(run_id)`` defaults to the Celery task ``portal.tasks.run_rollup``.
    """
    if queue is None:
        from portal.tasks import run_rollup

        def queue(run_id):
            run_rollup.delay(run_id)

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", list(START_LOCK))
        fail_stale_runs()
        current = RollupRun.objects.in_progress().order_by("-pk").first()
        if current is not None:
            return current, False
        user = requested_by if requested_by is not None and requested_by.is_authenticated else None
        run = RollupRun.objects.create(status=RollupStatusChoices.QUEUED, requested_by=user)
        transaction.on_commit(lambda: queue(run.pk))
    return run, True


def thin_snapshots(today=None, keep_daily_days=90):
    """Keep one snapshot a day for ``keep_daily_days`` days, then one a month (the newest of
    each); drop failed runs once they are older than that. Returns how many runs were deleted."""
    today = today or timezone.localdate()
    daily_since = today - timedelta(days=keep_daily_days)
    keep = set()
    newest_of_day = {}
    newest_of_month = {}
    runs = RollupRun.objects.succeeded().order_by("started_at", "pk").values_list("pk", "started_at")
    for pk, started_at in runs:
        day = timezone.localdate(started_at)
        newest_of_day[day] = pk  # ascending order: the last one seen is the newest
        newest_of_month[(day.year, day.month)] = pk
    keep.update(newest_of_month.values())
    keep.update(pk for day, pk in newest_of_day.items() if day >= daily_since)
    latest = RollupRun.objects.snapshot()
    if latest is not None:
        keep.add(latest.pk)
    old_succeeded = RollupRun.objects.succeeded().exclude(pk__in=keep)
    old_failed = RollupRun.objects.filter(status=RollupStatusChoices.FAILED, queued_at__date__lt=daily_since)
    with transaction.atomic():
        ids = list(old_succeeded.values_list("pk", flat=True)) + list(old_failed.values_list("pk", flat=True))
        if not ids:
            return 0
        RollupFigure.objects.filter(run_id__in=ids).delete()
        RollupRun.objects.filter(pk__in=ids).delete()
    return len(ids)


def read_figures(run, organization, figure_set, key=""):
    """The counts of ``figure_set`` for ``organization``'s subtree in ``run`` (one query).

    An organization with nothing to count in a set has no row; it reads as zeros.
    """
    from portal.rollups.registry import get_contributor

    counts = get_contributor(figure_set).zeros()
    row = (
        RollupFigure.objects.filter(run=run, organization=organization, figure_set=figure_set, key=key)
        .values_list("counts", flat=True)
        .first()
    )
    if row:
        counts.update(row)
    return counts
