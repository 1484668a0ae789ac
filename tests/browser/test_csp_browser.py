"""The strict Content-Security-Policy in a real browser: the portal's pages still work (htmx,
Chart.js, the entry grid, Swagger UI) and the browser reports no violation and no console error.

Chromium fires ``securitypolicyviolation`` for everything the policy blocks (an inline handler,
a style htmx injects, an eval); a watcher installed before any page script collects them.
"""

import datetime

from appraisal import services
from appraisal.models import AppraisalRound
from tests.browser.conftest import assert_only_local, browser_test
from tests.portal.test_rollups import run_now
from tests.portal.test_stats_api import populate

# Playwright injects init scripts outside the page's CSP, so the watcher itself is never blocked.
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " blocked " + (event.blockedURI || "inline")
    + " at " + (event.sourceFile || event.documentURI) + ":" + event.lineNumber);
});
"""


def watch(page):
    """Collects CSP violations and console errors of every page the tab opens."""
    page.add_init_script(WATCH_VIOLATIONS)
    page.problems = []

    def console(message):
        # The browser's own /favicon.ico guess on pages without an icon link (the admin) is not the page's.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            page.problems.append("console: {} ({})".format(message.text, message.location.get("url")))

    page.on("console", console)
    page.on("pageerror", lambda error: page.problems.append("page error: {}".format(error)))
    page.on("response", lambda response: response.status >= 400 and page.problems.append(
        "HTTP {}: {}".format(response.status, response.url)))
    return page


def problems(page):
    """What went wrong on the current page so far: CSP violations, console errors, script errors."""
    return page.evaluate("window.__cspViolations || []") + page.problems


@browser_test
def test_the_watcher_sees_a_violation_when_there_is_one(live_server, users, page, log_in):
    watch(page)
    log_in(page, "city_admin")
    page.goto(live_server.url + "/members/")
    # What an injected inline handler or style would do: both blocked, both reported.
    page.evaluate("""() => { const style = document.createElement("style"); style.textContent = "body {}";
        document.head.appendChild(style); }""")
    page.wait_for_function("() => window.__cspViolations.length > 0")
    assert any("style-src" in line for line in problems(page))


@browser_test
def test_pages_work_under_the_policy_without_violations(live_server, tree, users, page, log_in):
    # ORM first: members and a rollup for the dashboard's charts, a round for the entry grid.
    populate(tree)
    run_now(today=datetime.date(2025, 6, 1))
    appraisal_round = services.open_round(
        AppraisalRound(name="Appraisal 2026", year=2026, organization=tree["CITY"], outstanding_warning_share="0.200")
    )
    watch(page)
    log_in(page, "city_admin")

    # Dashboard: Chart.js draws (it sizes the canvas through CSSOM, which the policy allows).
    page.goto(live_server.url + "/")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('chart-by_status'))")
    box = page.locator("#chart-by_status").bounding_box()
    assert box and 200 <= box["height"] <= 260  # the .chart-box height, formerly an inline style
    assert problems(page) == [], "dashboard"

    # Tree: htmx fetches the children on the first expand (no injected indicator style, no eval).
    page.goto(live_server.url + "/organizations/tree/")
    toggle = page.locator(".tree-toggle").first
    toggle.click()
    page.locator(".tree-children .tree-node").first.wait_for()
    assert problems(page) == [], "tree"

    # Member list, and the language switch that used to be an inline onchange handler.
    page.goto(live_server.url + "/members/")
    page.locator("main table").first.wait_for()
    with page.expect_navigation():
        page.locator("#language-select").select_option("zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    with page.expect_navigation():
        page.locator("#language-select").select_option("en")
    assert problems(page) == [], "member list"

    # Appraisal entry grid: the keyboard entry and live distribution (entry.js, JSON config block).
    page.goto(live_server.url + "/appraisal/{}/entry/BRANCH_A/".format(appraisal_round.pk))
    page.locator("#entry-grid tr.entry-row").first.wait_for()
    page.locator("#entry-grid input.rating-choice").first.focus()
    page.keyboard.press("1")
    assert page.locator('[data-count="outstanding"]').inner_text() == "1"
    assert page.locator("#outstanding-warning").is_visible()  # 1 of 1 rated is above 20 %
    assert problems(page) == [], "entry grid"

    # API docs: Swagger UI's set-up script runs by its nonce and renders the operations.
    page.goto(live_server.url + "/api/v1/docs/")
    page.locator(".opblock").first.wait_for()
    assert problems(page) == [], "API docs"
    assert_only_local(page)


@browser_test
def test_the_django_admin_works_under_the_policy(live_server, tree, users, page, log_in):
    # Django 5.2's admin keeps its scripts in files (data for them in attributes or JSON blocks).
    users["city_admin"].is_staff = True
    users["city_admin"].is_superuser = True
    users["city_admin"].save()
    watch(page)
    log_in(page, "city_admin")
    page.goto(live_server.url + "/admin/members/organization/")
    page.locator("#result_list").wait_for()
    page.locator("#action-toggle").check()  # actions.js selects every row
    assert page.locator("#result_list input.action-select:checked").count() == page.locator("#result_list input.action-select").count()
    page.goto(live_server.url + "/admin/members/organization/{}/change/".format(tree["BRANCH_A"].pk))
    page.locator("#organization_form").wait_for()
    assert problems(page) == [], "admin"
