"""Demo step: a first statistics snapshot, so the dashboard of the demo has figures at once."""

from portal.models import RollupRun, RollupStatusChoices
from portal.rollups.engine import execute_run


def first_rollup(stdout):
    """Take a snapshot of the demo data (skipped when one exists: running the demo twice changes nothing)."""
    if RollupRun.objects.succeeded().exists():
        return
    run = RollupRun.objects.create()
    status = execute_run(run.pk)
    run.refresh_from_db()
    if status != RollupStatusChoices.SUCCEEDED:
        raise RuntimeError("The demo rollup failed: {}".format(run.error))
    stdout.write("  rollup run #{}: {} figure rows".format(run.pk, run.rows_written))
