"""Error pages render with DEBUG off even when ``collectstatic`` was not run.

The production storage (hashed names from ``staticfiles/staticfiles.json``) used to raise
ValueError for the favicon ``base.html`` links, turning every 404, 429 and 500 into a bare 500.
"""

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.test import Client
from django.utils.functional import empty

pytestmark = pytest.mark.django_db

PRODUCTION_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "portal.staticfiles.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture
def no_collectstatic(settings, tmp_path):
    """The production storage over an empty STATIC_ROOT: collectstatic never ran."""
    settings.DEBUG = False
    settings.STATIC_ROOT = str(tmp_path / "staticfiles")
    settings.STORAGES = PRODUCTION_STORAGES  # Django's setting_changed signal resets the storage


def test_404_page_renders_without_collectstatic(no_collectstatic, client_as):
    response = client_as("county_staff").get("/no-such-page/")
    assert response.status_code == 404
    assert b"/static/portal/favicon.svg" in response.content  # linked by its plain name
    assert b"Not found" in response.content


def test_403_page_renders_without_collectstatic(no_collectstatic, client_as):
    response = client_as("reader").post("/rollups/start/")
    assert response.status_code == 403
    assert b"Not allowed" in response.content


def test_anonymous_404_renders_without_collectstatic(no_collectstatic):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404


def test_429_lockout_page_renders_without_collectstatic(no_collectstatic, users, settings):
    client = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        response = client.post("/login/", {"username": "county_staff", "password": "wrong"})
    assert response.status_code == 429
    assert b'id="locked-out"' in response.content


def test_500_page_renders_without_collectstatic_and_uses_no_asset(no_collectstatic, client_as, monkeypatch):
    from portal.views import dashboard

    def fail(self, request, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(dashboard.DashboardView, "get", fail)
    client = client_as("county_staff")
    client.raise_request_exception = False
    response = client.get("/")
    assert response.status_code == 500
    # No static file, no inline style or script (the Content-Security-Policy allows neither).
    assert b"/static/" not in response.content
    assert b"style=" not in response.content and b"<script" not in response.content
    assert "系统出错".encode() in response.content


def test_a_collected_file_keeps_its_hashed_name(no_collectstatic):
    from django.core.management import call_command

    call_command("collectstatic", "--noinput", verbosity=0)
    staticfiles_storage._wrapped = empty  # read the manifest collectstatic just wrote
    url = staticfiles_storage.url("portal/favicon.svg")
    assert url.startswith("/static/portal/favicon.") and url != "/static/portal/favicon.svg"
