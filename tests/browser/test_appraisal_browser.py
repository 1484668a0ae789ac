"""A branch secretary enters the branch's appraisal ratings with the keyboard only, saves, and submits."""

import pytest

from appraisal import services
from appraisal.models import AppraisalRound, Rating
from tests.appraisal.conftest import make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_secretary_enters_ratings_with_the_keyboard_and_submits(live_server, users, tree, page):
    # ORM first (the browser's event loop comes after): four members of branch A, one of B.
    members = [make_member(tree["BRANCH_A"], name="Member {}".format(letter)) for letter in "ABCD"]
    outsider = make_member(tree["BRANCH_B"], name="Other branch")
    appraisal_round = services.open_round(
        AppraisalRound(name="Appraisal 2026", year=2026, organization=tree["CITY"], outstanding_warning_share="0.200")
    )
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto(live_server.url + "/login/")
    page.locator("#id_username").fill("secretary_a")
    page.locator("#id_password").fill("pw-secretary_a")
    with page.expect_navigation():
        page.locator("#id_password").press("Enter")

    page.goto(live_server.url + "/appraisal/{}/entry/BRANCH_A/".format(appraisal_round.pk))
    grid = page.locator("#entry-grid")
    grid.wait_for()
    assert grid.locator("tr.entry-row").count() == 4
    assert page.get_by_text("Other branch").count() == 0

    # Tab order: the first rating group is reachable from the page, and each group is one stop.
    first = page.locator("input[name='rating-{}']".format(members[0].pk)).first
    first.focus()
    # 1 = outstanding, then the focus moves on to the next member by itself.
    page.keyboard.press("1")
    focused = page.evaluate("document.activeElement.name")
    assert focused == "rating-{}".format(members[1].pk)
    page.keyboard.press("2")
    page.keyboard.press("2")
    page.keyboard.press("2")
    # The last number key moved the focus to Save; go back up and change the last member's rating
    # with the arrow keys (→ qualified to basically qualified).
    assert page.evaluate("document.activeElement.id") == "save-ratings"
    page.locator("input[name='rating-{}']:checked".format(members[3].pk)).focus()
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.name") == "rating-{}".format(members[2].pk)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    assert page.locator("input[name='rating-{}']:checked".format(members[3].pk)).get_attribute("value") == "basically_qualified"

    # The branch's distribution is shown live, and 1 of 4 outstanding (25%) is above the 20% level:
    # a warning, not a block.
    distribution = page.locator("#distribution")
    assert distribution.locator("[data-count='outstanding']").inner_text() == "1"
    assert distribution.locator("[data-count='qualified']").inner_text() == "2"
    assert distribution.locator("[data-count='basically_qualified']").inner_text() == "1"
    assert distribution.locator("[data-count='total']").inner_text() == "4"
    assert page.locator("#outstanding-warning").is_visible()

    # One Save for every row, from the keyboard.
    page.locator("#save-ratings").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.get_by_text("Saved 4 ratings.").wait_for()
    assert page.locator("input[name='rating-{}']:checked".format(members[0].pk)).get_attribute("value") == "outstanding"

    # Submit the branch's ratings (a confirmation dialog, accepted above).
    with page.expect_navigation():
        page.locator("#submit-ratings").click()
    page.locator(".alert-success").wait_for()
    assert page.locator("#submit-ratings").count() == 0

    ratings = dict(Rating.objects.filter(round=appraisal_round).values_list("member_id", "rating"))
    assert ratings == {
        members[0].pk: "outstanding",
        members[1].pk: "qualified",
        members[2].pk: "qualified",
        members[3].pk: "basically_qualified",
    }
    assert set(Rating.objects.values_list("status", flat=True)) == {"submitted"}
    assert not Rating.objects.filter(member=outsider).exists()
