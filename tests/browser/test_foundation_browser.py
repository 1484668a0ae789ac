"""The foundation in a real browser: log in, walk the organization tree, search it, switch to Chinese.

Also checks that no page asked a host other than the portal: it runs on intranets without internet,
so Bootstrap, htmx and Chart.js must come from the portal's own static files.
"""

import pytest

from tests.browser.conftest import assert_only_local, browser_test


@browser_test
def test_tree_expand_search_and_chinese(live_server, users, tree, page, log_in):
    # tests/conftest.py's world: CITY → COUNTY, COUNTY2; COUNTY → TOWN → BRANCH_A, BRANCH_B.
    log_in(page, "city_admin")
    assert page.locator("#my-scope").is_visible()

    page.get_by_role("link", name="Organization tree").click()
    page.wait_for_url("**/organizations/tree/")
    page.get_by_role("heading", name="Organization tree").wait_for()

    # Only the top is shown; its children arrive through htmx on the first expand.
    city = page.locator(".tree-node[data-code='CITY']")
    assert page.locator(".tree-node[data-code='COUNTY']").count() == 0
    city.locator(":scope > .tree-toggle").click()
    county = page.locator(".tree-node[data-code='COUNTY']")
    county.wait_for()
    assert page.locator(".tree-node[data-code='COUNTY2']").is_visible()
    assert city.locator(":scope > .tree-toggle").get_attribute("aria-expanded") == "true"

    county.locator(":scope > .tree-toggle").click()
    page.locator(".tree-node[data-code='TOWN']").wait_for()

    # Collapsing hides the children without reloading them.
    city.locator(":scope > .tree-toggle").click()
    assert not county.is_visible()
    city.locator(":scope > .tree-toggle").click()
    assert county.is_visible()
    assert page.locator(".tree-node[data-code='COUNTY']").count() == 1

    # Search by name (the test world names organizations after their codes: "Branch_A").
    page.locator("#tree-search").fill("branch_a")
    page.locator("#tree-search").press("Enter")
    matches = page.locator("#tree-matches")
    matches.wait_for()
    assert "BRANCH_A" in matches.inner_text()
    assert "BRANCH_B" not in matches.inner_text()
    # Each match shows where it sits in the tree.
    assert "Town" in matches.inner_text()

    # Switch to Chinese with the navbar's language selector; the page reloads in Chinese.
    page.goto(live_server.url + "/organizations/tree/")
    with page.expect_navigation():
        page.locator("#language-select").select_option("zh-hans")
    page.get_by_role("heading", name="组织树").wait_for()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_role("button", name="搜索").is_visible()
    page.locator(".tree-node[data-code='CITY'] > .tree-toggle").click()
    # The fragment loaded by htmx is in Chinese too (kind labels of the children).
    page.locator(".tree-node[data-code='COUNTY']").wait_for()
    assert "党委" in page.locator(".tree-node[data-code='COUNTY']").inner_text()

    # The choice sticks across pages (the language cookie), including the dashboard.
    page.goto(live_server.url + "/")
    page.get_by_role("heading", name="工作台").wait_for()

    # Our catalogues win over third-party ones for shared words (django-celery-beat says 任务名 for "Name").
    page.goto(live_server.url + "/organizations/")
    headers = page.locator("table thead th").all_inner_texts()
    assert headers[:3] == ["名称", "代码", "类型"]
    assert page.get_by_role("button", name="筛选").is_visible()
    page.locator("#user-menu > button").click()
    assert page.get_by_role("button", name="退出登录").is_visible()

    assert_only_local(page)


@browser_test
def test_secretary_sees_only_their_branch(live_server, users, tree, page, log_in):
    log_in(page, "secretary_a")
    page.goto(live_server.url + "/organizations/tree/")
    nodes = page.locator(".tree-node")
    nodes.first.wait_for()
    assert [code for code in nodes.evaluate_all("nodes => nodes.map(node => node.dataset.code)")] == ["BRANCH_A"]

    # A node outside the scope is not there to expand, and asking for it directly is 404.
    response = page.goto(live_server.url + "/organizations/tree/?parent=COUNTY2")
    assert response.status == 404
    assert_only_local(page)


@browser_test
def test_wrong_password_shows_an_error(live_server, users, page):
    page.goto(live_server.url + "/login/")
    page.locator("#id_username").fill("city_admin")
    page.locator("#id_password").fill("not-the-password")
    with page.expect_navigation():
        page.locator("#login-form button[type=submit]").click()
    assert "/login/" in page.url
    assert page.locator("#login-form .alert-danger").is_visible()
    assert_only_local(page)


@pytest.mark.django_db
def test_language_code_zh_hans_renders_chinese_by_default(client, settings):
    """LANGUAGE_CODE=zh-hans (the zh_Hans catalogues) is what a browser without a preference gets."""
    settings.LANGUAGE_CODE = "zh-hans"
    page = client.get("/login/").content.decode()
    assert '<html lang="zh-hans">' in page
    assert "党建工作管理平台" in page and "登录" in page


@pytest.mark.django_db
def test_lockout_page_is_the_portals_own(client, users, settings):
    """After too many wrong passwords axes answers with our translated page, not a bare line of English."""
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "reader", "password": "wrong"})
    response = client.post("/login/", {"username": "reader", "password": "pw-reader"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 429
    page = response.content.decode()
    assert 'id="locked-out"' in page and "账号已锁定" in page


@browser_test
def test_every_menu_page_comes_from_the_portal_alone(live_server, users, tree, page, log_in):
    """The dashboard and each page of the main menu open, in both languages, without asking any other host."""
    log_in(page, "city_admin")
    menu = page.locator("#main-nav a.nav-link")
    urls = menu.evaluate_all("links => links.map(link => link.href)")
    assert urls, "the city administrator sees a menu"
    urls.insert(0, live_server.url + "/")  # the dashboard (charts) is the brand's link
    for language in ("en", "zh-hans"):
        page.goto(live_server.url + "/")
        if page.locator("#language-select").input_value() != language:
            with page.expect_navigation():
                page.locator("#language-select").select_option(language)
        for url in urls:
            response = page.goto(url)
            assert response.status == 200, "{} answered {}".format(url, response.status)
            page.wait_for_load_state("networkidle")
            assert page.locator("main h1").count() >= 1, "{} has a heading".format(url)
    assert_only_local(page)
