"""Celery tasks of the members app."""

from celery import shared_task
from django.conf import settings

# The Celery task of a member import job (``portal.jobs``); its kind in ``ImportJob.kind``.
MEMBER_IMPORT_KIND = "members.member"


@shared_task(name="members.expire_transfer_letters")
def expire_transfer_letters():
    """Marks issued transfer letters past their validity as expired (one UPDATE; running it twice
    changes nothing the second time). Readers and the accept step apply the same rule meanwhile."""
    from members.models import TransferLetter

    return TransferLetter.objects.expire_due()


@shared_task(
    name="members.import_members",
    acks_late=True,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
    soft_time_limit=max(settings.CELERY_TASK_TIME_LIMIT - 30, 1),
)
def import_members_job(job_id):
    """Import (or check, on a dry run) the roster file of import job ``job_id`` as its user; the
    job records progress and the same answer the synchronous import gives."""
    from members.io.importer import MemberImporter
    from portal.jobs import run_importer_job

    return run_importer_job(job_id, MemberImporter)
