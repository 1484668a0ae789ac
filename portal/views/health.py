"""Health endpoints for load balancers and monitoring: JSON, no authentication, no personal data.

* ``/health/``: liveness. The process answers requests; touches nothing else, so a database
  outage does not make every web process look dead (and get restarted for nothing).
* ``/health/ready/``: readiness. The database answers ``SELECT 1``, the Celery broker accepts a
  connection (the ``filesystem://`` broker of ``make run``: its folders are writable), and the
  newest successful rollup run is younger than ``HEALTH_ROLLUP_MAX_AGE_HOURS`` (0 turns that
  check off). 200 when every check passes, otherwise 503; the body says which check failed.

Written by hand rather than with django-health-check: that app's views are HTML unless asked
otherwise, its database check writes a row, and its Celery check needs a result backend, which
the portal does not have. The answers carry check names, timings and ages only: never an error
message (a broker URL can hold a password), never a user, an organization or a member.
"""

import logging
import os
import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


def _timed(check):
    """Runs ``check()`` → (ok, details); adds how long it took. An exception fails the check."""
    started = time.monotonic()
    try:
        ok, details = check()
    except Exception as error:  # noqa: BLE001 (a health check reports failures, it does not raise)
        # The type only: the message may name hosts or hold credentials.
        logger.warning("Health check %s failed: %s", check.__name__, type(error).__name__)
        ok, details = False, {"error": "unavailable"}
    return {"ok": ok, **details, "ms": round((time.monotonic() - started) * 1000, 1)}


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return True, {}


def check_broker():
    from portal.celery import app

    with app.connection_for_write(connect_timeout=BROKER_TIMEOUT_SECONDS) as broker:
        if broker.transport_cls == "filesystem":
            # A connection to the filesystem transport always succeeds; its folders are the broker.
            options = app.conf.broker_transport_options or {}
            folders = {options.get("data_folder_in"), options.get("data_folder_out")} - {None}
            writable = all(os.path.isdir(folder) and os.access(folder, os.W_OK) for folder in folders)
            return writable, {} if writable else {"error": "queue folder missing or not writable"}
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS)
    return True, {}


def check_rollup():
    from portal.models import RollupRun

    max_age_hours = settings.HEALTH_ROLLUP_MAX_AGE_HOURS
    finished = RollupRun.objects.succeeded().order_by("-finished_at").values_list("finished_at", flat=True).first()
    if finished is None:
        return max_age_hours == 0, {"error": "no rollup run has succeeded yet", "max_age_hours": max_age_hours}
    age_hours = round((timezone.now() - finished).total_seconds() / 3600, 2)
    ok = max_age_hours == 0 or age_hours <= max_age_hours
    details = {"age_hours": age_hours, "max_age_hours": max_age_hours}
    if not ok:
        details["error"] = "the newest successful rollup run is too old"
    return ok, details


READINESS_CHECKS = {"database": check_database, "broker": check_broker, "rollup": check_rollup}


@never_cache
@require_safe
def liveness(request):
    """200 while the process serves requests."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readiness(request):
    """200 when the database, the broker and the rollups are fine; 503 naming what is not."""
    checks = {name: _timed(check) for name, check in READINESS_CHECKS.items()}
    ok = all(result["ok"] for result in checks.values())
    failing = [name for name, result in checks.items() if not result["ok"]]
    body = {"status": "ok" if ok else "failing", "failing": failing, "checks": checks}
    return JsonResponse(body, status=200 if ok else 503)
