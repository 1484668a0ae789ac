"""A branch secretary imports members in a real browser: a file with one bad row is refused with the
error shown on that row, the fixed file previews and imports."""

import pytest

from members.models import Member
from tests.browser.conftest import assert_only_local
from tests.members.import_helpers import csv_bytes, id_number, row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_secretary_fixes_the_bad_row_and_imports(live_server, users, page, log_in, tmp_path):
    good = [row(name="Zhang San"), row(name="Li Hua", id_number=id_number(sequence="125"))]
    bad_file = tmp_path / "members-bad.csv"
    # Row 3: an ID number whose check digit is wrong.
    bad_id = id_number(sequence="127")
    bad_id = bad_id[:17] + ("0" if bad_id[17] != "0" else "1")
    bad_file.write_bytes(csv_bytes(good + [row(name="Wang Wu", id_number=bad_id)], bom=True))
    fixed_file = tmp_path / "members-fixed.csv"
    fixed_file.write_bytes(csv_bytes(good + [row(name="Wang Wu", id_number=id_number(sequence="127"))], bom=True))

    log_in(page, "secretary_a")
    page.goto(live_server.url + "/members/import/")
    page.get_by_role("heading", name="Import party members").wait_for()

    page.locator("#id_file").set_input_files(str(bad_file))
    page.locator("#import-check").click()
    errors = page.locator("#import-errors")
    errors.wait_for()
    bad_row = errors.locator("tbody tr")
    assert bad_row.count() == 1
    assert bad_row.get_attribute("data-row") == "3"
    assert bad_row.get_attribute("data-field") == "id_number"
    assert "check character" in bad_row.inner_text()
    assert page.locator("#import-confirm").count() == 0

    page.locator("#id_file").set_input_files(str(fixed_file))
    page.locator("#import-check").click()
    preview = page.locator("#import-preview")
    preview.wait_for()
    assert "create 3 members" in preview.inner_text()

    page.locator("#import-confirm").click()
    page.locator("#import-done").wait_for()
    assert "3 members created" in page.locator("#import-done").inner_text()
    assert_only_local(page)
    page.close()

    assert sorted(Member.objects.filter(organization__code="BRANCH_A").values_list("name", flat=True)) == [
        "Li Hua", "Wang Wu", "Zhang San",
    ]
