"""The default schedules of the rollup (nightly) and of snapshot thinning (daily), kept in the
database by django-celery-beat so the organization department can change them in the admin.

Created only when missing: an edited schedule is never overwritten.
"""

from django.conf import settings
from django.db import migrations

SCHEDULES = [
    # (task name shown in the admin, task, minute, hour)
    ("Nightly statistics rollup", "portal.tasks.scheduled_rollup", "30", "1"),
    ("Daily thinning of statistics snapshots", "portal.tasks.thin_rollup_snapshots", "30", "4"),
]


def create_schedules(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minute, hour in SCHEDULES:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        crontab, _created = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone=settings.TIME_ZONE,
        )
        PeriodicTask.objects.create(name=name, task=task, crontab=crontab, enabled=True)


def remove_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_rest in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_rollups"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
