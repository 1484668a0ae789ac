"""The entry grid from the keyboard, in Chinese (issue 13): keys work as soon as the grid opens,
empty choices are visible, the save is an htmx swap that says what was saved, and leaving with
unsaved changes asks first."""

from appraisal import services
from appraisal.models import AppraisalRound, Rating
from tests.appraisal.conftest import make_member
from tests.browser.conftest import assert_only_local, browser_test


def _checked(page, member):
    checked = page.locator("input[name='rating-{}']:checked".format(member.pk))
    return checked.get_attribute("value") if checked.count() else None


@browser_test
def test_a_secretary_rates_the_branch_from_the_keyboard_in_chinese(live_server, users, tree, page, log_in):
    # ORM first (the browser's event loop comes after).
    # In the grid's order (by name).
    members = sorted((make_member(tree["BRANCH_A"], name="成员{}".format(letter)) for letter in "甲乙丙丁"), key=lambda m: m.name)
    appraisal_round = services.open_round(AppraisalRound(name="2026年度评议", year=2026, organization=tree["CITY"]))
    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    log_in(page, "secretary_a")

    url = live_server.url + "/appraisal/{}/entry/BRANCH_A/".format(appraisal_round.pk)
    page.goto(url)
    page.locator("#entry-grid tr.entry-row").first.wait_for()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "评定" in page.locator("h1").inner_text()
    # Empty choices are visible: every unrated member is marked.
    assert page.locator("#entry-grid .grid-empty-badge:not(.d-none)").count() == 4

    # No click: the first member already has the focus, so the number keys work at once.
    assert page.evaluate("document.activeElement.name") == "rating-{}".format(members[0].pk)
    page.keyboard.press("1")
    assert page.evaluate("document.activeElement.name") == "rating-{}".format(members[1].pk)
    page.keyboard.press("2")
    page.keyboard.press("2")
    # Now on the last member; up and down move between members without changing a rating.
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.name") == "rating-{}".format(members[2].pk)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("3")
    assert [_checked(page, m) for m in members] == ["outstanding", "qualified", "qualified", "basically_qualified"]
    assert page.locator("#entry-grid .grid-empty-badge:not(.d-none)").count() == 0
    assert page.locator("#distribution [data-count='total']").inner_text() == "4"
    # After the last member the focus is on Save.
    assert page.evaluate("document.activeElement.id") == "save-ratings"

    # Save from the keyboard: the grid is swapped in place (no page load), with what was saved.
    page.evaluate("window.gridTestMarker = 'still here'")
    page.keyboard.press("Enter")
    saved = page.locator("[data-grid-saved]")
    saved.wait_for()
    assert "已保存 4 条评定结果。" in saved.inner_text()
    assert page.evaluate("window.gridTestMarker") == "still here"
    assert dict(Rating.objects.filter(round=appraisal_round).values_list("member_id", "rating")) == {
        members[0].pk: "outstanding",
        members[1].pk: "qualified",
        members[2].pk: "qualified",
        members[3].pk: "basically_qualified",
    }
    # The swapped grid takes the keys again at once, and shows the saved values.
    page.wait_for_function("document.activeElement && document.activeElement.name === 'rating-{}'".format(members[0].pk))
    assert _checked(page, members[0]) == "outstanding"

    # Leaving with an unsaved change asks first; staying keeps the page and the change.
    dialogs = []

    def stay(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    page.keyboard.press("4")  # the first member: outstanding → unqualified, not saved
    page.locator("a.btn-outline-secondary", has_text="2026年度评议").click()
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert page.url == url
    assert _checked(page, members[0]) == "unqualified"
    page.remove_listener("dialog", stay)

    # Saved with Ctrl+S, the page may be left without a question.
    page.locator("input[name='rating-{}']:checked".format(members[0].pk)).focus()
    page.keyboard.press("Control+s")
    # The form holds every row; the summary counts what changed.
    page.locator("[data-grid-saved]").filter(has_text="修改 1 条").wait_for()
    assert "已保存 4 条评定结果。" in page.locator("[data-grid-saved]").inner_text()
    assert Rating.objects.get(member=members[0]).rating == "unqualified"
    page.on("dialog", stay)
    with page.expect_navigation():
        page.locator("a.btn-outline-secondary", has_text="2026年度评议").click()
    assert dialogs == ["beforeunload"]
    assert page.url.rstrip("/").endswith("/appraisal/{}".format(appraisal_round.pk))
    assert_only_local(page)


@browser_test
def test_a_refused_save_marks_the_cell_keeps_the_values_and_still_warns(live_server, users, tree, page, log_in):
    member = make_member(tree["BRANCH_A"], name="成员甲")
    appraisal_round = services.open_round(AppraisalRound(name="2026年度评议", year=2026, organization=tree["CITY"]))
    participant = appraisal_round.participants.get(member=member)
    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    log_in(page, "secretary_a")
    url = live_server.url + "/appraisal/{}/evaluation/BRANCH_A/".format(appraisal_round.pk)
    page.goto(url)
    page.locator("#evaluation-grid").wait_for()
    # One non-party representative, three non-party votes: the service refuses that cell.
    page.locator("#non_party_representatives").fill("1")
    cell = "votes-{}-outstanding-non_party".format(participant.pk)
    page.locator("[name='{}']".format(cell)).fill("3")
    page.keyboard.press("Control+s")
    page.locator("#grid-errors").wait_for()
    assert page.locator("[data-cell='{}']".format(cell)).count() == 1
    page.wait_for_function("document.activeElement && document.activeElement.name === '{}'".format(cell))
    assert page.locator("[name='{}']".format(cell)).input_value() == "3"
    assert not appraisal_round.branch_evaluations.exists()
    # Nothing was saved, so leaving still asks.
    dialogs = []

    def stay(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    page.locator("a.btn-outline-secondary", has_text="2026年度评议").click()
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"] and page.url == url
