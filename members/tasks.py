"""Celery tasks of the members app."""

from celery import shared_task


@shared_task(name="members.expire_transfer_letters")
def expire_transfer_letters():
    """Marks issued transfer letters past their validity as expired (one UPDATE; running it twice
    changes nothing the second time). Readers and the accept step apply the same rule meanwhile."""
    from members.models import TransferLetter

    return TransferLetter.objects.expire_due()
