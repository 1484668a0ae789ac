"""A generic test base for a per-organization entry grid (``portal.views.grid.EntryGridView``).

A grid's tests are data: the URL of one organization's grid and of one outside a role's scope,
which rows each role sees, a good save and a save with one bad cell::

    class TestRatingGrid(GridViewTestCase):
        model = Rating
        url = "/appraisal/{round}/entry/BRANCH_A/"
        out_of_scope_url = "/appraisal/{round}/entry/BRANCH_B/"
        open_status = {"secretary_a": 200, "reader": 403, "anonymous": 302}
        rows_shown = {"secretary_a": ["Alice 0"]}
        rows_hidden = {"secretary_a": ["Bob 0"]}
        out_of_scope_roles = ["secretary_a"]
        read_only = {"reader": 403}
        editor = "secretary_a"
        good_post = {"rating-{alice}": "qualified"}
        summary = "Saved 1 ratings."
        bad_post = {"rating-{alice}": "qualified", "rating-{alice2}": "excellent"}
        bad_cell = "rating-{alice2}"
        bad_message = "Choose one of the offered values."

        @pytest.fixture
        def world(self, city_round, people):
            return {"round": city_round.pk, "alice": people["A"][0].pk, "alice2": people["A"][1].pk}

URLs, posted data, texts and cell names are templates filled from ``world``. ``rows()`` is what
"nothing saved" compares (the model's table by default; override for a grid that writes several).
"""

import html
import re

import pytest

from tests.base import _fill as _fill_value


def _fill(value, world):
    """``tests.base._fill``, with the keys of a mapping filled too (posted field names name rows)."""
    if isinstance(value, dict):
        return {_fill_value(key, world): _fill(item, world) for key, item in value.items()}
    return _fill_value(value, world)


def cell_messages(page, name):
    """The messages the grid shows on the cell whose field is ``name``."""
    pattern = r'data-cell="{}">(.*?)</div>'.format(re.escape(name))
    return [html.unescape(text) for text in re.findall(pattern, page, re.S)]


def shows_value(page, name, value):
    """Whether the grid shows ``value`` in the cell whose field is ``name`` (checked, selected or typed)."""
    value = html.escape(str(value))
    for tag in re.findall(r"<input\b[^>]*>", page):
        if 'name="{}"'.format(name) in tag and 'value="{}"'.format(value) in tag:
            if 'type="radio"' not in tag or re.search(r"\schecked\b", tag):
                return True
    select = re.search(r'<select[^>]*name="{}".*?</select>'.format(re.escape(name)), page, re.S)
    if select and '<option value="{}" selected'.format(value) in select.group():
        return True
    return bool(re.search(r'<textarea[^>]*name="{}"[^>]*>{}</textarea>'.format(re.escape(name), re.escape(value)), page))


def _refusal(response):
    """What a refused save said (for the assertion message)."""
    found = re.search(r'id="grid-errors">(.*?)</div>\s*</div>', response.content.decode(), re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))) if found else response.status_code


class GridViewTestCase:
    model = None
    url = None
    out_of_scope_url = None
    # role → status of opening the grid; role → texts its rows must show / must not show.
    open_status = {}
    rows_shown = {}
    rows_hidden = {}
    # Roles for whom ``out_of_scope_url`` does not exist (404 on GET and POST, nothing saved).
    out_of_scope_roles = []
    # role → status of a save by a role that may see but not change (or not see) the grid.
    read_only = {}
    editor = None
    good_post = {}
    summary = None
    bad_post = {}
    bad_cell = None
    bad_message = None

    @pytest.fixture
    def world(self, tree, users):
        return {code: code for code in tree}

    def rows(self):
        return list(self.model.objects.order_by("pk").values())

    def test_opening_the_grid_per_role(self, client_as, world):
        for role, expected in self.open_status.items():
            response = client_as(role).get(_fill(self.url, world))
            assert response.status_code == expected, (role, response.status_code, expected)
            if role == "anonymous" and expected == 302:
                assert "/login/" in response["Location"]

    def test_rows_shown_per_role(self, client_as, world):
        for role in set(self.rows_shown) | set(self.rows_hidden):
            page = client_as(role).get(_fill(self.url, world)).content.decode()
            for text in self.rows_shown.get(role, ()):
                assert _fill(text, world) in page, (role, text)
            for text in self.rows_hidden.get(role, ()):
                assert _fill(text, world) not in page, (role, text)

    def test_a_good_save_stores_every_row_and_says_what_was_saved(self, client_as, world):
        before = self.rows()
        response = client_as(self.editor).post(_fill(self.url, world), _fill(self.good_post, world), follow=True)
        assert response.status_code == 200, _refusal(response)
        assert self.rows() != before
        assert _fill(self.summary, world) in response.content.decode()

    def test_an_htmx_save_answers_the_grid_region_with_the_summary(self, client_as, world):
        response = client_as(self.editor).post(
            _fill(self.url, world), _fill(self.good_post, world), HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200, _refusal(response)
        page = response.content.decode()
        # The region alone (htmx swaps it in place), with what was saved.
        assert page.lstrip().startswith('<div id="grid-region"') and "<html" not in page
        assert "data-grid-saved" in page and _fill(self.summary, world) in page

    def test_one_bad_cell_saves_nothing_and_shows_its_message_on_the_cell(self, client_as, world):
        before = self.rows()
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = client_as(self.editor).post(_fill(self.url, world), _fill(self.bad_post, world), **headers)
            assert response.status_code == 400
            assert self.rows() == before
            page = response.content.decode()
            messages = cell_messages(page, _fill(self.bad_cell, world))
            assert any(self.bad_message in message for message in messages), messages
            # The user's other posted values are kept on the page, to correct and save again.
            for name, value in _fill(self.bad_post, world).items():
                if name != _fill(self.bad_cell, world):
                    assert shows_value(page, name, value), name

    def test_an_organization_outside_the_scope_is_not_found(self, client_as, world):
        before = self.rows()
        for role in self.out_of_scope_roles:
            client = client_as(role)
            assert client.get(_fill(self.out_of_scope_url, world)).status_code == 404, role
            assert client.post(_fill(self.out_of_scope_url, world), _fill(self.good_post, world)).status_code == 404, role
        assert self.rows() == before

    def test_a_role_that_may_not_change_is_refused(self, client_as, world):
        before = self.rows()
        for role, expected in self.read_only.items():
            response = client_as(role).post(_fill(self.url, world), _fill(self.good_post, world))
            assert response.status_code == expected, (role, response.status_code, expected)
        assert self.rows() == before
