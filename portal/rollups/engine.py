"""The rollup engine: every organization's figures, summed over its subtree, in one transaction.

A run, set-based from start to end:

1. each contributor's SQL counts its leaf rows per organization (one ``GROUP BY``, into a
   temporary table so PostgreSQL may run it with parallel workers);
2. every organization's row is fanned out to all its ancestors: the ancestor at level ``i`` is
   the one whose path equals ``substr(path, 1, 6 * i)`` (the materialized path holds six
   characters per level), so one ``generate_series`` over the levels and one ``GROUP BY`` of the
   ancestor path add everything up; one hash join then turns paths back into organization ids;
3. the sums are written with ``INSERT ... SELECT`` straight from that query, one integer array
   per (organization, figure set, key).

No query per organization, no ``LIKE`` join. All contributors and the run's ``succeeded`` mark
commit together: readers only read succeeded runs, so they see the previous snapshot until the
new one is complete, and a run that fails midway leaves nothing behind.

Single flight: the worker computing a run holds a session-level PostgreSQL advisory lock
(``RUN_LOCK``). A ``running`` record while nobody holds that lock means its worker died; it is
marked failed (``fail_stale_runs``). Starting a run (``start_rollup``) is serialized by a
transaction-level advisory lock, so two simultaneous requests get the same run.
"""

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.models.rollups import RollupFigure, RollupRun, RollupStatusChoices
from portal.rollups.registry import RollupContext, contributors
from portal.tree import organization_model

logger = logging.getLogger(__name__)

PATH_STEP = 6  # characters per level of members_organization.path (members.models.organizations)
# Two-key advisory locks: (namespace, lock). The namespace is arbitrary but fixed for the portal.
LOCK_NAMESPACE = 74_110
RUN_LOCK = (LOCK_NAMESPACE, 1)
START_LOCK = (LOCK_NAMESPACE, 2)


class RollupBusy(Exception):
    """Another worker holds the run lock."""


def _figure_table():
    return connection.ops.quote_name(RollupFigure._meta.db_table)


def _organization_table():
    return connection.ops.quote_name(organization_model()._meta.db_table)


LEAF_TABLE = "portal_rollup_leaf"


def session_settings():
    """``SET LOCAL`` statements of a rollup transaction (the benchmark's floor runs under them too).

    JIT compilation costs more than it saves on these few-second queries; the fan-out's hash
    aggregate of 50,000 organizations must not spill to disk.
    """
    return [
        ("SET LOCAL statement_timeout = %s", ["{}s".format(settings.CELERY_TASK_TIME_LIMIT)]),
        ("SET LOCAL jit = off", []),
        ("SET LOCAL work_mem = '256MB'", []),
    ]


def rollup_statements(contributor, context):
    """The statements that write ``contributor``'s snapshot: ``[(sql, params), ...]``.

    1. the contributor's own GROUP BY into a temporary table (``CREATE TABLE AS`` may use parallel
       workers, an ``INSERT ... SELECT`` may not);
    2. one ``INSERT ... SELECT`` that fans every row out to its ancestors (``substr(path, 1, 6 * i)``
       for i up to the organization's depth), adds them up per ancestor path, joins the paths back
       to organization ids, and writes the sums as one array per organization. (The levels are a
       constant ``generate_series(1, <deepest level>)`` filtered by depth, so the planner knows
       how many rows the fan-out makes and hashes instead of sorting them.)
    """
    leaf_sql, leaf_params = contributor.leaf_sql(context)
    columns = ["f{}".format(index) for index in range(len(contributor.figures))]
    key_column = ["key"] if contributor.keyed else []
    leaf_columns = ", ".join(["organization_id"] + key_column + columns)
    # One organization's own counts fit in 32 bits, and summing int4 gives int8 cheaply (an int8
    # sum would accumulate in numeric).
    sums = ", ".join("sum(leaf.{0}::int) AS {0}".format(column) for column in columns)
    values = "ARRAY[{}]".format(", ".join("rolled.{}".format(column) for column in columns))
    create = "CREATE TEMPORARY TABLE {leaf} ({columns}) ON COMMIT DROP AS {sql}".format(
        leaf=LEAF_TABLE, columns=leaf_columns, sql=leaf_sql
    )
    insert = """
        INSERT INTO {figures} (run_id, organization_id, figure_set, key, values)
        SELECT %s, ancestor.id, %s, {key_value}, {values}
        FROM (
            SELECT substr(org.path, 1, {step} * level.i) AS ancestor_path, {key_select}{sums}
            FROM {leaf} AS leaf
            JOIN {organizations} AS org ON org.id = leaf.organization_id
            JOIN generate_series(1, %s) AS level(i) ON level.i <= org.depth
            GROUP BY 1{key_group}
        ) AS rolled
        JOIN {organizations} AS ancestor ON ancestor.path = rolled.ancestor_path
    """.format(
        figures=_figure_table(),
        key_value="rolled.key" if contributor.keyed else "''",
        values=values,
        step=PATH_STEP,
        key_select="leaf.key, " if contributor.keyed else "",
        sums=sums,
        leaf=LEAF_TABLE,
        organizations=_organization_table(),
        key_group=", 2" if contributor.keyed else "",
    )
    insert_params = [context.run_id, contributor.figure_set, context.max_depth]
    return [
        (create, leaf_params),
        (insert, insert_params),
        ("DROP TABLE {}".format(LEAF_TABLE), []),
    ]


def compute_snapshot(run, today=None):
    """Write every contributor's figures for ``run``; returns the number of rows written.

    Call inside a transaction (``execute_run`` does): it writes but does not commit.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(depth), 1) FROM {}".format(_organization_table()))
        max_depth = cursor.fetchone()[0]
    context = RollupContext(run_id=run.pk, today=today or timezone.localdate(), max_depth=max_depth)
    rows = 0
    with connection.cursor() as cursor:
        for sql, params in session_settings():
            cursor.execute(sql, params)
        for contributor in contributors():
            for sql, params in rollup_statements(contributor, context):
                cursor.execute(sql, params)
                if sql.lstrip().startswith("INSERT"):
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
                    figure_names={contributor.figure_set: list(contributor.figures) for contributor in contributors()},
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


def decode(run, figure_set, values, contributor=None):
    """``{figure name: value}`` of one stored row of ``run``, with zeros for figures it lacks."""
    from portal.rollups.registry import get_contributor

    counts = (contributor or get_contributor(figure_set)).zeros()
    counts.update(zip(run.figure_names.get(figure_set, []), values or []))
    return counts


def read_snapshot(organizations, figure_set, key="", as_of=None):
    """The organization ``organizations`` finds (restricted and filtered to one by the caller),
    the snapshot run (the newest, or the newest on or before ``as_of``) and that organization's
    ``figure_set`` counts in it, all in ONE query. Returns ``(organization, run, counts)``:
    ``organization`` is ``(id, code)`` or None when not found; ``run`` is None when no snapshot
    was taken by then.

    Hand-assembled from the two querysets' own SQL: the statistics endpoints serve dashboards and
    other systems at a high rate, and compiling one ORM query with three correlated subqueries
    cost more than the database's work.
    """
    runs = RollupRun.objects.succeeded()
    if as_of is not None:
        runs = runs.filter(started_at__date__lte=as_of)
    organization_sql, organization_params = organizations.order_by().values("id", "code")[:1].query.sql_with_params()
    run_sql, run_params = (
        runs.order_by("-started_at", "-pk").values("id", "started_at", "figure_names")[:1].query.sql_with_params()
    )
    sql = """
        SELECT organization.id, organization.code, run.id, run.started_at, run.figure_names,
               (SELECT figure.values FROM {figures} AS figure
                 WHERE figure.run_id = run.id AND figure.organization_id = organization.id
                   AND figure.figure_set = %s AND figure.key = %s)
        FROM ({organization_sql}) AS organization
        LEFT JOIN ({run_sql}) AS run ON true
    """.format(figures=_figure_table(), organization_sql=organization_sql, run_sql=run_sql)
    with connection.cursor() as cursor:
        cursor.execute(sql, [figure_set, key, *organization_params, *run_params])
        row = cursor.fetchone()
    if row is None:
        return None, None, None
    organization_id, code, run_id, started_at, figure_names, values = row
    if run_id is None:
        return (organization_id, code), None, None
    if isinstance(figure_names, str):
        figure_names = json.loads(figure_names)
    run = RollupRun(
        pk=run_id, status=RollupStatusChoices.SUCCEEDED, started_at=started_at, figure_names=figure_names or {}
    )
    return (organization_id, code), run, decode(run, figure_set, values)


def read_figures(run, organization, figure_set, key=""):
    """The counts of ``figure_set`` for ``organization``'s subtree in ``run`` (one query).

    An organization with nothing to count in a set has no row; it reads as zeros.
    """
    values = (
        RollupFigure.objects.filter(run=run, organization=organization, figure_set=figure_set, key=key)
        .values_list("values", flat=True)
        .first()
    )
    return decode(run, figure_set, values)
