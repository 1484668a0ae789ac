"""Configuration comes from environment variables only; a bad value stops the start with its name.

Each case imports the real settings in a fresh interpreter, as gunicorn, Celery or manage.py would.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
GOOD = {
    "SECRET_KEY": "test-only-secret-key",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
}
# Everything the settings read, so the machine's own environment cannot leak into a case.
READ_BY_SETTINGS = [
    "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "DATABASE_URL", "DB_CONN_MAX_AGE",
    "TEST_DATABASE_NAME", "AXES_FAILURE_LIMIT", "LANGUAGE_CODE", "TIME_ZONE", "API_TOKEN_TTL_HOURS",
    "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CELERY_TASK_ALWAYS_EAGER", "CELERY_TASK_TIME_LIMIT",
    "LOG_LEVEL", "SECURE_COOKIES", "DJANGO_SETTINGS_MODULE", "TRUSTED_PROXIES", "DB_APP_ROLE",
    "SESSION_IDLE_MINUTES", "SESSION_MAX_HOURS", "HTTPS", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "HEALTH_ROLLUP_MAX_AGE_HOURS", "REGISTRATION_REFUSAL_LIMIT", "IMPORT_MAX_BYTES",
    "IMPORT_MAX_ROWS", "IMPORT_MAX_CELL_CHARS", "IMPORT_MAX_UNCOMPRESSED_BYTES", "IMPORT_MAX_COMPRESSION_RATIO",
    "IMPORT_ASYNC_BYTES",
]


def import_settings(code="import portal.settings", **variables):
    env = {key: value for key, value in os.environ.items() if key not in READ_BY_SETTINGS}
    env.update(GOOD)
    env.update(variables)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "variable, value",
    [
        ("DEBUG", "maybe"),
        ("TIME_ZONE", "Mars/Olympus_Mons"),
        ("LANGUAGE_CODE", "fr"),
        ("DATABASE_URL", "not a url"),
        ("DATABASE_URL", "mysql://root@127.0.0.1/portal"),
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:notaport/portal"),
        ("CELERY_TASK_ALWAYS_EAGER", "sometimes"),
        ("DB_CONN_MAX_AGE", "forever"),
        ("AXES_FAILURE_LIMIT", "0"),
        ("API_TOKEN_TTL_HOURS", "a month"),
        ("CELERY_TASK_TIME_LIMIT", "-5"),
        ("LOG_LEVEL", "LOUD"),
        ("SECURE_COOKIES", "please"),
    ],
)
def test_a_bad_value_fails_at_start_naming_the_variable(variable, value):
    result = import_settings(**{variable: value})
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in last_line
    assert "Environment variable {}".format(variable) in last_line


def test_secret_key_is_required_when_debug_is_off():
    env_without_key = dict(GOOD)
    del env_without_key["SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "-c", "import portal.settings"],
        cwd=BASE_DIR,
        env={**{k: v for k, v in os.environ.items() if k not in READ_BY_SETTINGS}, **env_without_key},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Environment variable SECRET_KEY" in result.stderr.strip().splitlines()[-1]


def test_defaults():
    result = import_settings(
        "import portal.settings as s; print(s.DEBUG, s.TIME_ZONE, s.LANGUAGE_CODE, s.CELERY_BROKER_URL,"
        " s.CELERY_TASK_ALWAYS_EAGER, s.ALLOWED_HOSTS)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(" ", 5) == [
        "False", "Asia/Shanghai", "en", "filesystem://", "False", "['127.0.0.1', 'localhost']\n"
    ]


def test_good_values_are_taken():
    result = import_settings(
        "import portal.settings as s; print(s.DEBUG, s.TIME_ZONE, s.LANGUAGE_CODE, s.ALLOWED_HOSTS,"
        " s.CELERY_BROKER_URL, s.DATABASES['default']['NAME'])",
        DEBUG="yes",
        TIME_ZONE="UTC",
        LANGUAGE_CODE="zh-hans",
        ALLOWED_HOSTS="portal.example.org, 10.0.0.5",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/3",
        DATABASE_URL="postgres://portal@db.internal:5432/portal",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "True UTC zh-hans ['portal.example.org', '10.0.0.5'] redis://127.0.0.1:6379/3 portal"
    )
