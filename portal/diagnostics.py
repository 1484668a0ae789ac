"""Diagnostics: a task that proves a Celery worker is alive and reaches the database.

``ping`` is what an operator (or ``tests/portal/test_celery_worker.py``) sends through the broker
to check a deployment end to end: broker → worker → PostgreSQL → result backend.
"""

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import connection


@shared_task(name="portal.diagnostics.ping")
def ping(user_id):
    """The worker's view of the user ``user_id`` and of its database (no personal data)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        database = cursor.fetchone()[0]
    username = get_user_model().objects.filter(pk=user_id).values_list("username", flat=True).first()
    return {"pong": True, "database": database, "username": username}
