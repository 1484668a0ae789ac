"""Settings for the test suite: the real settings with what tests need overridden."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")

from portal.settings import *  # noqa: E402,F401,F403

DEBUG = False
# Tasks run inline unless a test starts a real worker (tests/portal/test_celery_worker.py).
CELERY_TASK_ALWAYS_EAGER = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_ENABLED = True
LANGUAGE_CODE = "en"
ALLOWED_HOSTS = ["*"]
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Tests talk plain HTTP to the test client, whatever HTTPS the environment asks production for;
# tests/portal/test_deploy_check.py checks the HTTPS settings of portal.settings themselves.
HTTPS = False
SECURE_SSL_REDIRECT = False
SECURE_PROXY_SSL_HEADER = None
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
