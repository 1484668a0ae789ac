"""Celery tasks of the shared core: statistics rollups (DESIGN.md "Rollups").

Tasks take primary keys only, are idempotent (a finished run is left alone), acknowledge late
(a worker that dies mid-run leaves the message to be delivered again) and have a time limit.
"""

from celery import shared_task
from django.conf import settings

from portal.rollups import engine

# A rollup of a province takes seconds; an hour means something is stuck.
ROLLUP_TIME_LIMIT = settings.CELERY_TASK_TIME_LIMIT
BUSY_RETRY_SECONDS = 60


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=ROLLUP_TIME_LIMIT,
    soft_time_limit=max(ROLLUP_TIME_LIMIT - 30, 1),
    max_retries=30,
)
def run_rollup(self, run_id):
    """Compute rollup run ``run_id`` (queued by ``engine.start_rollup`` once its row committed)."""
    try:
        return engine.execute_run(run_id)
    except engine.RollupBusy as busy:
        # Another worker is computing a run right now (a redelivered message); try again later.
        raise self.retry(exc=busy, countdown=BUSY_RETRY_SECONDS) from None


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def scheduled_rollup():
    """Celery beat's nightly run (schedule in the database, editable in the admin)."""
    run, _created = engine.start_rollup()
    return run.pk


@shared_task(acks_late=True, time_limit=600, soft_time_limit=570)
def thin_rollup_snapshots():
    """Keep daily snapshots for 90 days, then one a month; mark runs whose worker died as failed
    (also done whenever a run is started), so the runs page never shows a dead run as running."""
    engine.fail_stale_runs()
    return engine.thin_snapshots()
