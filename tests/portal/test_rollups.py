"""The rollup engine: correct sums up the tree, complete snapshots, single flight, history."""

import datetime
import random
import threading
from collections import Counter

import psycopg
import pytest
from django.db import connection, connections
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from members.choices import (
    ActivityStatusChoices,
    MemberCategoryChoices,
    MemberStatusChoices,
    OrganizationKindChoices,
)
from members.models import Member, Organization
from portal.models import RollupFigure, RollupRun, RollupStatusChoices
from portal.rollups import Contributor, contributors, engine, nest, read_figures, register, unregister
from tests.conftest import make_org


def make_member(organization, number, **extra):
    values = {
        "name": "Member {}".format(number),
        "gender": "male",
        "birth_date": datetime.date(1980, 1, 1),
        "id_number": "X{:017d}".format(number),
        "organization": organization,
        "status": "formal",
        "joined_on": datetime.date(2000, 1, 1),
        "full_member_on": datetime.date(2001, 1, 1),
    }
    values.update(extra)
    # bulk_create: the model's own validation (ID check digits) is not what is tested here.
    return Member(**values)


def new_run(**extra):
    return RollupRun.objects.create(**extra)


def run_now(today=None):
    run = new_run()
    assert engine.execute_run(run.pk, today=today) == RollupStatusChoices.SUCCEEDED, RollupRun.objects.get(pk=run.pk).error
    return RollupRun.objects.get(pk=run.pk)


def random_world(seed, organizations=60, members=400):
    """A random tree at least 6 levels deep and random members (some of whom left)."""
    rng = random.Random(seed)
    kinds = [k for k in OrganizationKindChoices.values if k != "group"]
    root = make_org("R{}".format(seed), "committee", term_started_on=datetime.date(2015, 1, 1), term_years=5)
    orgs = [root]
    chain = root
    for level in range(6):  # guarantee the depth
        chain = make_org("R{}-C{}".format(seed, level), rng.choice(kinds), chain)
        orgs.append(chain)
    while len(orgs) < organizations:
        parent = rng.choice([org for org in orgs if org.kind != "group"])
        kind = rng.choice(kinds + ["group"]) if parent.kind == "branch" else rng.choice(kinds)
        term = {}
        if rng.random() < 0.5:
            term = {"term_started_on": datetime.date(rng.randint(2015, 2024), 1, 1), "term_years": rng.choice([3, 5])}
        org = make_org("R{}-O{}".format(seed, len(orgs)), kind, parent, is_active=rng.random() < 0.9, **term)
        orgs.append(org)
    rows = []
    for number in range(members):
        status = rng.choice(MemberStatusChoices.values)
        left = rng.random() < 0.15
        rows.append(
            make_member(
                rng.choice(orgs),
                seed * 100_000 + number,
                status=status,
                full_member_on=datetime.date(2001, 1, 1) if status == "formal" else None,
                categories=rng.sample(MemberCategoryChoices.values, rng.randint(0, 3)),
                activity_status=rng.choice(ActivityStatusChoices.values),
                is_pocket=rng.random() < 0.1,
                left_on=datetime.date(2020, 1, 1) if left else None,
                exit_reason="death" if left else "",
            )
        )
    Member.objects.bulk_create(rows)
    return [Organization.objects.get(pk=org.pk) for org in orgs]


def brute_force(organization, today):
    """Counts of ``organization``'s subtree, straight from the rows, in Python."""
    subtree = [org for org in Organization.objects.all() if org.path.startswith(organization.path)]
    orgs = Counter({"total": len(subtree)})
    for org in subtree:
        orgs["by_kind." + org.kind] += 1
        orgs["term_overdue"] += bool(org.is_active and org.term_expires_on and org.term_expires_on < today)
    ids = {org.pk for org in subtree}
    members = Counter()
    for member in Member.objects.filter(left_on__isnull=True):
        if member.organization_id not in ids:
            continue
        members["total"] += 1
        members["by_status." + member.status] += 1
        for category in member.categories:
            members["by_category." + category] += 1
        members["by_activity_status." + member.activity_status] += 1
        members["pocket"] += member.is_pocket
    return orgs, members


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_snapshot_equals_a_brute_force_count_of_its_subtree(seed):
    orgs = random_world(seed)
    today = datetime.date(2025, 6, 1)
    run = run_now(today=today)
    assert max(org.depth for org in orgs) >= 7
    for org in orgs:
        expected_orgs, expected_members = brute_force(org, today)
        got_orgs = read_figures(run, org, "organizations")
        got_members = read_figures(run, org, "members")
        assert {k: v for k, v in got_orgs.items() if v} == dict(+expected_orgs), org.code
        assert {k: v for k, v in got_members.items() if v} == dict(+expected_members), org.code
    # One row per organization for "organizations", one per organization with current members.
    assert run.rows_written == RollupFigure.objects.filter(run=run).count()
    assert RollupFigure.objects.filter(run=run, figure_set="organizations").count() == len(orgs)


@pytest.mark.django_db
def test_figures_read_as_zeros_with_every_key_and_nest_into_the_api_shape(tree):
    run = run_now()
    counts = read_figures(run, tree["BRANCH_C"], "members")
    assert set(counts) == set(next(c for c in contributors() if c.figure_set == "members").figures)
    assert not any(counts.values())
    nested = nest(counts)
    assert nested["by_status"] == {"probationary": 0, "formal": 0}
    assert set(nested["by_category"]) == set(MemberCategoryChoices.values)
    assert nested["pocket"] == 0


@pytest.mark.django_db
def test_members_and_organizations_are_found_without_portal_importing_them():
    names = {contributor.figure_set for contributor in contributors()}
    assert {"organizations", "members"} <= names


@pytest.mark.django_db
def test_a_run_that_fails_midway_leaves_the_previous_snapshot_complete(tree):
    Member.objects.bulk_create([make_member(tree["BRANCH_A"], 1), make_member(tree["BRANCH_B"], 2)])
    first = run_now()
    before = sorted(RollupFigure.objects.filter(run=first).values_list("organization_id", "figure_set", "values"))
    # A contributor that fails after the others have written their rows (sets run in name order).
    register(Contributor(figure_set="zz_broken", figures=["total"], sql="SELECT id, 1 / 0 FROM members_organization"))
    try:
        Member.objects.bulk_create([make_member(tree["BRANCH_A"], 3)])
        second = new_run()
        assert engine.execute_run(second.pk) == RollupStatusChoices.FAILED
    finally:
        unregister("zz_broken")
    second.refresh_from_db()
    assert second.status == RollupStatusChoices.FAILED
    assert "division by zero" in second.error
    assert second.finished_at is not None
    assert not RollupFigure.objects.filter(run=second).exists()  # nothing half-written
    assert RollupRun.objects.snapshot() == first
    after = sorted(RollupFigure.objects.filter(run=first).values_list("organization_id", "figure_set", "values"))
    assert after == before
    assert read_figures(first, tree["CITY"], "members")["total"] == 2


@pytest.mark.django_db
def test_a_finished_run_is_not_computed_again(tree):
    run = run_now()
    rows = RollupFigure.objects.filter(run=run).count()
    assert engine.execute_run(run.pk) == RollupStatusChoices.SUCCEEDED
    assert RollupFigure.objects.filter(run=run).count() == rows


@pytest.mark.django_db
def test_a_run_redelivered_after_its_worker_died_is_computed(tree):
    # The worker marked it running, then died (nothing of it committed); the message comes again.
    run = new_run(status=RollupStatusChoices.RUNNING, started_at=timezone.now())
    assert engine.execute_run(run.pk) == RollupStatusChoices.SUCCEEDED


def _test_database_dsn():
    settings = connection.settings_dict
    return "host={} port={} user={} dbname={}".format(
        settings["HOST"], settings["PORT"] or 5432, settings["USER"], settings["NAME"]
    )


@pytest.mark.django_db
def test_a_second_worker_does_not_compute_while_one_holds_the_lock(tree):
    run = new_run()
    with psycopg.connect(_test_database_dsn(), autocommit=True) as other_worker:
        other_worker.execute("SELECT pg_advisory_lock(%s, %s)", list(engine.RUN_LOCK))
        with pytest.raises(engine.RollupBusy):
            engine.execute_run(run.pk)
        # While that worker lives, its running run is not stale.
        stale = new_run(status=RollupStatusChoices.RUNNING, started_at=timezone.now())
        assert engine.fail_stale_runs() == 0
        stale.refresh_from_db()
        assert stale.status == RollupStatusChoices.RUNNING
    run.refresh_from_db()
    assert run.status == RollupStatusChoices.QUEUED


@pytest.mark.django_db
def test_a_stale_running_record_is_marked_failed_and_a_new_run_starts(tree):
    stale = new_run(status=RollupStatusChoices.RUNNING, started_at=timezone.now())
    queued = []
    run, created = engine.start_rollup(queue=queued.append)
    stale.refresh_from_db()
    assert stale.status == RollupStatusChoices.FAILED
    assert stale.error
    assert created and run.pk != stale.pk and run.status == RollupStatusChoices.QUEUED


@pytest.mark.django_db
def test_a_second_start_returns_the_run_in_progress(tree, django_capture_on_commit_callbacks):
    queued = []
    with django_capture_on_commit_callbacks(execute=True):
        first, created = engine.start_rollup(queue=queued.append)
    second, created_again = engine.start_rollup(queue=queued.append)
    assert created and not created_again
    assert first.pk == second.pk
    assert queued == [first.pk]  # queued once, after the commit


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_starts_give_one_run(tree):
    barrier = threading.Barrier(2)
    results, errors = [], []

    def start():
        try:
            barrier.wait(timeout=10)
            results.append(engine.start_rollup(queue=lambda run_id: None))
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert RollupRun.objects.count() == 1
    assert {run.pk for run, _created in results} == {RollupRun.objects.get().pk}
    assert sorted(created for _run, created in results) == [False, True]


@pytest.mark.django_db
def test_queued_task_computes_the_run_after_commit(tree, django_capture_on_commit_callbacks):
    # CELERY_TASK_ALWAYS_EAGER: the real task runs inline once the transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        run, created = engine.start_rollup()
    run.refresh_from_db()
    assert created and run.status == RollupStatusChoices.SUCCEEDED
    assert run.rows_written > 0 and run.duration is not None and run.finished_at >= run.started_at


def _taken_on(run, day):
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(2, 0)))
    RollupRun.objects.filter(pk=run.pk).update(started_at=moment, queued_at=moment, finished_at=moment)


@pytest.mark.django_db
def test_as_of_picks_the_newest_snapshot_on_or_before_the_day(tree):
    days = [datetime.date(2025, 1, 10), datetime.date(2025, 2, 10), datetime.date(2025, 2, 20)]
    runs = []
    for day in days:
        run = run_now()
        _taken_on(run, day)
        runs.append(run)
    failed = new_run(status=RollupStatusChoices.FAILED)
    _taken_on(failed, datetime.date(2025, 2, 15))
    assert RollupRun.objects.snapshot(datetime.date(2025, 1, 9)) is None
    assert RollupRun.objects.snapshot(datetime.date(2025, 1, 10)) == runs[0]
    assert RollupRun.objects.snapshot(datetime.date(2025, 2, 19)) == runs[1]  # not the failed one
    assert RollupRun.objects.snapshot(datetime.date(2025, 2, 20)) == runs[2]
    assert RollupRun.objects.snapshot() == runs[2]


@pytest.mark.django_db
def test_thinning_keeps_daily_for_90_days_then_monthly(tree):
    today = datetime.date(2025, 12, 31)
    kept, dropped = set(), set()

    def snapshot(day, keep):
        run = new_run(status=RollupStatusChoices.SUCCEEDED)
        RollupFigure.objects.create(run=run, organization=tree["CITY"], figure_set="members", values=[1])
        _taken_on(run, day)
        (kept if keep else dropped).add(run.pk)
        return run

    # Old: only the newest of each month stays.
    snapshot(datetime.date(2025, 3, 1), keep=False)
    snapshot(datetime.date(2025, 3, 15), keep=False)
    snapshot(datetime.date(2025, 3, 31), keep=True)
    snapshot(datetime.date(2025, 4, 2), keep=True)
    # Recent (within 90 days): one a day, the newest of the day.
    snapshot(datetime.date(2025, 12, 1), keep=False)
    snapshot(datetime.date(2025, 12, 1), keep=True)
    snapshot(datetime.date(2025, 12, 2), keep=True)
    snapshot(datetime.date(2025, 12, 30), keep=True)
    old_failure = new_run(status=RollupStatusChoices.FAILED)
    _taken_on(old_failure, datetime.date(2025, 3, 2))
    dropped.add(old_failure.pk)

    assert engine.thin_snapshots(today=today) == len(dropped)
    assert set(RollupRun.objects.values_list("pk", flat=True)) == kept
    assert set(RollupFigure.objects.values_list("run_id", flat=True)) == kept
    assert engine.thin_snapshots(today=today) == 0


@pytest.mark.django_db
def test_the_nightly_schedules_are_in_the_database():
    tasks = dict(PeriodicTask.objects.values_list("task", "enabled"))
    assert tasks.get("portal.tasks.scheduled_rollup") is True
    assert tasks.get("portal.tasks.thin_rollup_snapshots") is True
    nightly = PeriodicTask.objects.get(task="portal.tasks.scheduled_rollup")
    assert nightly.crontab is not None and nightly.crontab.hour == "1"


def test_a_contributor_must_name_its_figures_plainly():
    with pytest.raises(ValueError):
        Contributor(figure_set="bad set", figures=["total"], sql="SELECT 1")
    with pytest.raises(ValueError):
        Contributor(figure_set="ok", figures=["total", "total"], sql="SELECT 1")
    with pytest.raises(ValueError):
        Contributor(figure_set="ok", figures=[], sql="SELECT 1")


@pytest.mark.django_db
def test_the_daily_task_marks_dead_runs_failed_and_thins(tree):
    from portal.tasks import thin_rollup_snapshots

    dead = new_run(status=RollupStatusChoices.RUNNING, started_at=timezone.now())
    assert thin_rollup_snapshots.delay().get() == 0
    dead.refresh_from_db()
    assert dead.status == RollupStatusChoices.FAILED


@pytest.mark.django_db
def test_beat_s_nightly_task_starts_a_run(tree, django_capture_on_commit_callbacks):
    from portal.tasks import scheduled_rollup

    with django_capture_on_commit_callbacks(execute=True):
        run_id = scheduled_rollup.delay().get()
    run = RollupRun.objects.get(pk=run_id)
    assert run.status == RollupStatusChoices.SUCCEEDED and run.requested_by is None
