"""Production settings pass Django's deployment checks, HTTPS by default, plain HTTP only when asked.

Each case runs ``manage.py check --deploy --fail-level WARNING`` (or imports the settings) in a
fresh interpreter with exactly the environment the README documents, as an operator would.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-production-secret-key-7f3c1e9a0b2d4c6e8f1a3b5c7d9e0f2a4b6c8d0e2f4a6b8c",
    "ALLOWED_HOSTS": "dangjian.example.gov.cn",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
}
# Variables the settings read: the machine's own values must not leak into a case.
READ_BY_SETTINGS = {
    "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "DATABASE_URL", "HTTPS", "SECURE_COOKIES",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "DJANGO_SETTINGS_MODULE",
    "LANGUAGE_CODE", "LOG_LEVEL",
}


def run(args, **variables):
    # DJANGO_ALLOW_ASYNC_UNSAFE: the browser tests set it in this process (Playwright's loop); an
    # operator's environment has no such thing, and the deploy check rightly refuses it.
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in READ_BY_SETTINGS and key != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(PRODUCTION)
    env.update(variables)
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def deploy_check(**variables):
    return run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **variables)


def settings_of(names, **variables):
    # Through django.conf: Django's defaults for what portal.settings leaves unset.
    code = "from django.conf import settings as s; print(repr([getattr(s, n) for n in {!r}]))".format(names)
    result = run(["-c", code], **variables)
    assert result.returncode == 0, result.stderr
    return eval(result.stdout.strip().splitlines()[-1])  # noqa: S307 (our own repr of settings)


def test_production_behind_a_tls_proxy_passes_the_deploy_check():
    result = deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_is_https_unless_told_otherwise():
    redirect, proxy_header, hsts, session_secure, csrf_secure, exempt = settings_of(
        ["SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE",
         "CSRF_COOKIE_SECURE", "SECURE_REDIRECT_EXEMPT"]
    )
    assert redirect is True
    assert proxy_header == ("HTTP_X_FORWARDED_PROTO", "https")
    assert hsts == 365 * 24 * 3600
    assert session_secure is True and csrf_secure is True
    # Load balancers probe over plain HTTP inside the network.
    assert any("health" in pattern for pattern in exempt)


def test_hsts_lifetime_and_subdomains_come_from_the_environment():
    hsts, subdomains, silenced = settings_of(
        ["SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SILENCED_SYSTEM_CHECKS"],
        SECURE_HSTS_SECONDS="3600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="true",
    )
    assert hsts == 3600 and subdomains is True
    assert "security.W005" not in silenced


def test_plain_http_is_an_explicit_opt_out_that_passes_the_deploy_check():
    result = deploy_check(HTTPS="false")
    assert result.returncode == 0, result.stdout + result.stderr
    redirect, hsts, session_secure = settings_of(
        ["SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE"], HTTPS="false"
    )
    assert redirect is False and hsts == 0 and session_secure is False


def test_turning_one_https_setting_off_by_hand_is_reported():
    # Only the explicit HTTPS=false silences the checks; an HSTS of 0 behind HTTPS is a warning.
    result = deploy_check(SECURE_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout


def test_development_server_stays_plain_http():
    redirect, session_secure = settings_of(["SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE"], DEBUG="true")
    assert redirect is False and session_secure is False


@pytest.mark.parametrize("value", ["maybe", "https"])
def test_a_bad_https_value_stops_the_start(value):
    result = run(["-c", "import portal.settings"], HTTPS=value)
    assert result.returncode != 0
    assert "Environment variable HTTPS" in result.stderr.strip().splitlines()[-1]


def test_the_openapi_document_declares_the_token_scheme():
    # drf-spectacular's W001 ("could not resolve authenticator") is part of the deploy check above;
    # here: what a client reading the document learns.
    code = (
        "import django, json; django.setup();"
        "from drf_spectacular.generators import SchemaGenerator;"
        "s = SchemaGenerator().get_schema(request=None, public=True);"
        "print(json.dumps([s['components']['securitySchemes'],"
        " [op.get('security') for ops in s['paths'].values() for op in ops.values()]]))"
    )
    result = run(["-c", code])
    assert result.returncode == 0, result.stderr
    import json

    schemes, securities = json.loads(result.stdout.strip().splitlines()[-1])
    assert schemes["tokenAuth"] == {
        "type": "apiKey", "in": "header", "name": "Authorization", "description": schemes["tokenAuth"]["description"]
    }
    assert "Token <key>" in schemes["tokenAuth"]["description"]
    # Every operation says how to authenticate (an empty list: open to anyone, the token login).
    assert all(security is not None for security in securities)
    assert sum(1 for security in securities if security == []) >= 1
    assert all({"tokenAuth": []} in security for security in securities if security)
