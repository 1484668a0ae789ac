"""/health/ (liveness) and /health/ready/ (database, broker, rollup age) for load balancers."""

import datetime
import json
import time

import pytest
from django.test import Client
from django.utils import timezone

from portal.celery import app
from portal.models import RollupRun, RollupStatusChoices
from portal.views import health

LIVE = "/health/"
READY = "/health/ready/"


def succeeded_run(hours_ago):
    finished = timezone.now() - datetime.timedelta(hours=hours_ago)
    return RollupRun.objects.create(status=RollupStatusChoices.SUCCEEDED, started_at=finished, finished_at=finished)


@pytest.fixture
def broker_folders(tmp_path, monkeypatch):
    """The filesystem broker of ``make run`` with its queue folders in place."""
    folders = {"data_folder_in": str(tmp_path / "queue"), "data_folder_out": str(tmp_path / "queue")}
    (tmp_path / "queue").mkdir()
    use_broker(monkeypatch, "filesystem://")
    monkeypatch.setitem(app.conf, "broker_transport_options", folders)
    return tmp_path / "queue"


def use_broker(monkeypatch, url):
    # Celery reads CELERY_BROKER_URL from the environment before its configuration (CI sets it).
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    monkeypatch.setitem(app.conf, "broker_url", url)
    monkeypatch.setitem(app.conf, "broker_write_url", None)


def get(url):
    response = Client().get(url)
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    return response, json.loads(response.content)


def test_liveness_answers_without_database_or_authentication():
    # No django_db mark: any database access would fail this test.
    response, body = get(LIVE)
    assert response.status_code == 200 and body == {"status": "ok"}
    assert not response.cookies  # no session for a probe


def test_liveness_refuses_writes():
    assert Client().post(LIVE).status_code == 405
    assert Client().head(LIVE).status_code == 200


@pytest.mark.django_db
def test_ready_when_database_broker_and_rollups_are_fine(broker_folders):
    succeeded_run(hours_ago=3)
    response, body = get(READY)
    assert response.status_code == 200, body
    assert body["status"] == "ok" and body["failing"] == []
    assert set(body["checks"]) == {"database", "broker", "rollup"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["rollup"]["max_age_hours"] == 36
    assert 2.9 < body["checks"]["rollup"]["age_hours"] < 3.1


@pytest.mark.django_db
def test_not_ready_without_a_successful_rollup(broker_folders):
    RollupRun.objects.create(status=RollupStatusChoices.FAILED, finished_at=timezone.now())
    response, body = get(READY)
    assert response.status_code == 503
    assert body["status"] == "failing" and body["failing"] == ["rollup"]
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]


@pytest.mark.django_db
def test_not_ready_when_the_newest_successful_rollup_is_too_old(broker_folders, settings):
    succeeded_run(hours_ago=40)
    response, body = get(READY)
    assert response.status_code == 503 and body["failing"] == ["rollup"]
    settings.HEALTH_ROLLUP_MAX_AGE_HOURS = 48
    assert get(READY)[0].status_code == 200


@pytest.mark.django_db
def test_rollup_check_can_be_turned_off(broker_folders, settings):
    settings.HEALTH_ROLLUP_MAX_AGE_HOURS = 0
    response, body = get(READY)
    assert response.status_code == 200, body


@pytest.mark.django_db
def test_not_ready_when_the_queue_folder_is_missing(broker_folders):
    succeeded_run(hours_ago=1)
    broker_folders.rmdir()
    response, body = get(READY)
    assert response.status_code == 503 and body["failing"] == ["broker"]


@pytest.mark.django_db
def test_unreachable_broker_fails_fast_and_reveals_nothing(monkeypatch):
    succeeded_run(hours_ago=1)
    use_broker(monkeypatch, "redis://:broker-secret@127.0.0.1:1/0")
    started = time.monotonic()
    response, body = get(READY)
    assert time.monotonic() - started < 5
    assert response.status_code == 503 and body["failing"] == ["broker"]
    assert body["checks"]["broker"]["error"] == "unavailable"
    assert b"broker-secret" not in response.content and b"127.0.0.1" not in response.content


@pytest.mark.django_db
def test_database_failure_is_reported(broker_folders, monkeypatch):
    succeeded_run(hours_ago=1)

    def check_database():
        raise health.connection.OperationalError("could not connect to server at db.internal")

    monkeypatch.setitem(health.READINESS_CHECKS, "database", check_database)
    response, body = get(READY)
    assert response.status_code == 503 and body["failing"] == ["database"]
    assert b"db.internal" not in response.content


@pytest.mark.django_db
def test_no_personal_data_and_no_login_needed(broker_folders, users, tree):
    succeeded_run(hours_ago=1)
    response, body = get(READY)
    assert response.status_code == 200
    text = response.content.decode()
    for name in ("county_staff", "CITY", "COUNTY"):
        assert name not in text
    # Only check names, flags, timings and ages.
    for check in body["checks"].values():
        assert set(check) <= {"ok", "ms", "age_hours", "max_age_hours", "error"}


@pytest.mark.django_db
def test_ready_with_the_real_broker_when_one_is_configured():
    import os

    if not os.environ.get("CELERY_BROKER_URL", "").startswith(("redis://", "amqp://")):
        pytest.skip("CELERY_BROKER_URL is not set to a real broker (Redis or RabbitMQ); .ci/run sets it")
    succeeded_run(hours_ago=1)
    response, body = get(READY)
    assert response.status_code == 200, body
