"""The dashboard in a real browser: Chart.js draws the county's figures, and only the county's."""

import datetime

from tests.browser.conftest import assert_only_local, browser_test
from tests.portal.test_rollups import run_now
from tests.portal.test_stats_api import populate

CHART_TOTALS = """() => Object.fromEntries(
    Array.from(document.querySelectorAll("canvas[data-chart]")).map((canvas) => {
        const chart = Chart.getChart(canvas);
        return [canvas.dataset.chart, chart ? chart.data.datasets[0].data.reduce((a, b) => a + b, 0) : null];
    }))"""

CANVAS_DRAWN = """(name) => {
    const canvas = document.getElementById("chart-" + name);
    const blank = document.createElement("canvas");
    blank.width = canvas.width;
    blank.height = canvas.height;
    return canvas.width > 0 && canvas.toDataURL("image/png") !== blank.toDataURL("image/png");
}"""


@browser_test
def test_the_county_dashboard_draws_its_charts_from_the_county_figures_only(live_server, tree, users, page, log_in):
    populate(tree)  # COUNTY: 5 current members (4 formal, 1 probationary); COUNTY2: 2 more
    run_now(today=datetime.date(2025, 6, 1))

    log_in(page, "county_staff")
    page.goto(live_server.url + "/")
    page.locator("#chart-by_status").wait_for()
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('chart-trend'))")

    assert page.evaluate(CHART_TOTALS) == {"by_category": 4, "by_status": 5, "by_activity_status": 5, "trend": 5}
    for name in ("by_category", "by_status", "by_activity_status", "trend"):
        assert page.evaluate(CANVAS_DRAWN, name), name
    assert page.locator("#dashboard-title").inner_text().endswith("(COUNTY)")
    assert page.locator('[data-figure="members"] .figure-value').inner_text() == "5"
    assert page.locator('[data-figure="organizations"] .figure-value').inner_text() == "5"
    assert page.locator('[data-figure="term_overdue"] a').get_attribute("href") == "/organizations/?within=COUNTY&term_overdue=true"
    main = page.locator("main").inner_text()
    assert "County2" not in main and "Branch_C" not in main  # nothing of the other county

    with page.expect_download() as download:
        page.locator('[data-png="by_status"]').click()
    assert download.value.suggested_filename == "COUNTY-by_status.png"
    assert_only_local(page)  # Chart.js is vendored, no CDN
