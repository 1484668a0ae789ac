"""Real-browser fixtures: Playwright driving Debian's Chromium against pytest-django's ``live_server``.

How to write a browser test (see ``test_foundation_browser.py`` for a full one)::

    from tests.browser.conftest import assert_only_local, browser_test

    @browser_test                            # = @pytest.mark.browser + @pytest.mark.django_db(transaction=True)
    def test_something(live_server, users, page, log_in):
        ...                                  # 1. set up data with the ORM first
        log_in(page, "city_admin")           # 2. then drive the browser
        page.goto(live_server.url + "/organizations/tree/")
        page.get_by_role("heading", name="Organization tree").wait_for()
        assert_only_local(page)

Rules:

- ``transaction=True``: the live server answers from another thread, so the data must be committed.
- Do the ORM work before touching the browser, or in a helper called between browser steps;
  the ``page`` fixture's sync Playwright runs an event loop in this thread, and Django refuses
  ORM calls while a loop is running unless ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set (set below:
  the loop belongs to Playwright, not to Django, so there is no real async code to protect).
- ``page.requests`` lists every URL the page asked for; ``assert_only_local(page)`` checks that
  none went to another host (the portal runs on intranets without internet).
- Users of the ``users`` fixture (``tests/conftest.py``) log in with password ``pw-<username>``.

The browser is launched once per session; each test gets a fresh context (cookies, language).
Chromium is ``/usr/bin/chromium`` (``apt-get install chromium``) or ``CHROMIUM`` from the environment;
without it the browser tests are skipped with the reason (they fail instead when
``BROWSER_TESTS_REQUIRED`` is set, as CI should).
"""

import os
import shutil
from urllib.parse import urlsplit

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def browser_test(function):
    """Marks a real-browser test: the ``browser`` marker and committed data for the live server."""
    return pytest.mark.browser(pytest.mark.django_db(transaction=True)(function))


LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
# Generous for a loaded CI machine, still short enough that a broken page fails fast.
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session."""
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        reason = "Chromium not found at {} (apt-get install chromium, or set CHROMIUM)".format(CHROMIUM)
        if os.environ.get("BROWSER_TESTS_REQUIRED"):
            pytest.fail(reason)  # CI sets this: a missing browser must not pass as a skip
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Remembers each phase's outcome on the test item, so ``page`` can tell a failed test at teardown."""
    report = yield
    setattr(item, "report_" + report.when, report)
    return report


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser tab (own cookies) that records every request URL in ``page.requests``.

    When the test fails, a screenshot of the page is saved under ``BROWSER_ARTIFACTS``
    (default ``/tmp/browser-failures``) and its path printed, to see what the browser saw.
    """
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    tab.requests = []
    tab.on("request", lambda request: tab.requests.append(request.url))
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        folder = os.environ.get("BROWSER_ARTIFACTS", "/tmp/browser-failures")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, request.node.name + ".png")
        try:
            tab.screenshot(path=path, full_page=True)
            print("Screenshot of the failed page: {} (at {})".format(path, tab.url))
        except Exception as error:  # the page may be gone with the failure; the report matters more
            print("No screenshot of the failed page: {}".format(error))
    context.close()


@pytest.fixture
def log_in(live_server):
    """``log_in(page, "city_admin")``: logs in through the real login form and waits for the dashboard.

    ``password`` defaults to the ``users`` fixture's ``pw-<username>``.
    """

    def log_in_as(page, username, password=None):
        page.goto(live_server.url + "/login/")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(password or "pw-" + username)
        with page.expect_navigation():
            page.locator("#login-form button[type=submit]").click()
        if "/login/" in page.url:
            raise AssertionError("Login as {} failed: {}".format(username, page.locator("main").inner_text()))
        return page

    return log_in_as


def non_local_requests(page):
    """The URLs the page requested from a host other than this machine."""
    return [url for url in page.requests if url.startswith(("http:", "https:")) and urlsplit(url).hostname not in LOCAL_HOSTS]


def assert_only_local(page):
    outside = non_local_requests(page)
    assert not outside, "The page asked hosts other than the portal: {}".format(outside)
