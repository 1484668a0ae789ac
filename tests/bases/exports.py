"""A generic test base for a list page's download (``?export=csv|xlsx``, ``portal.export.ListExporter``).

A list's export tests are data: what each role's download holds and must not hold (the gate),
which filter narrows it to what, which values a role sees masked, a row named like a formula, and
labels in the request's language::

    class TestMemberListExport(ListExportTests):
        list_url = "/members/"
        table_class = MemberTable
        key_column = "name"                      # the column whose values identify rows
        shows = {"secretary_a": ["Alice"], "county_staff": ["Alice", "Bob"]}
        hides = {"secretary_a": ["Bob"]}
        filters = [({"status": "probationary"}, "city_admin", ["Grace"])]
        model = Member
        narrowed_actions = {"staff": {"view"}}   # staff without personal-data rights, for the test
        hidden_values = {"county_staff": ["{alice_id_number}"]}
        formula_row = "=HYPERLINK(...)"          # the key of a row the world names like a formula

        @pytest.fixture
        def world(self, tree, users, make_member): ...

Columns are found by the table's declaration (``key_column`` is a column's ``key``), so the tests
read the file the way a person does, in English and in Chinese.
"""

import csv
import io

import pytest
from django.utils import translation
from openpyxl import load_workbook

from tests.base import _fill


def content_of(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def read_csv(response):
    assert response.status_code == 200, content_of(response)[:500]
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    data = content_of(response)
    assert data.startswith(b"\xef\xbb\xbf"), "Chinese Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def read_xlsx(response, cells=False):
    assert response.status_code == 200, content_of(response)[:500]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(content_of(response))).worksheets[0]
    if cells:
        return [list(row) for row in sheet.iter_rows()]
    return [["" if value is None else value for value in row] for row in sheet.iter_rows(values_only=True)]


class ListExportTests:
    list_url = None
    table_class = None
    key_column = "name"
    # {role: [keys the download holds]}, {role: [keys or texts it must not hold]}
    shows = {}
    hides = {}
    # [(query, role, [keys in order])]: the download follows the page's filter
    filters = []
    # {role: [texts that must appear nowhere in that role's download]} (masked personal data), with
    # ``model.scope_actions`` narrowed as ``narrowed_actions`` says ({role name: actions}) for the test
    model = None
    narrowed_actions = {}
    hidden_values = {}
    formula_row = None
    formula_role = "city_admin"

    @pytest.fixture
    def world(self, tree, users):
        return {code: code for code in tree}

    @pytest.fixture(autouse=True)
    def _default_language_after(self):
        # A request in Chinese leaves Chinese active on the thread; the next test runs in the default.
        yield
        translation.deactivate()

    def export_headers(self):
        return [str(column.label) for column in self.table_class.export_columns()]

    def key_index(self):
        keys = [column.key for column in self.table_class.export_columns()]
        return keys.index(self.key_column)

    def download(self, client_as, world, role, file_format="csv", query=None, **extra):
        params = dict(_fill(query or {}, world), export=file_format)
        response = client_as(role).get(_fill(self.list_url, world), params, **extra)
        return read_csv(response) if file_format == "csv" else read_xlsx(response)

    def keys(self, rows):
        index = self.key_index()
        return [row[index] for row in rows[1:]]

    def test_each_role_downloads_only_its_scope(self, client_as, world):
        for role, expected in self.shows.items():
            for file_format in ("csv", "xlsx"):
                rows = self.download(client_as, world, role, file_format)
                assert rows[0] == self.export_headers()
                keys = self.keys(rows)
                for key in expected:
                    assert _fill(key, world) in keys, "{} missing from {}'s {}: {}".format(key, role, file_format, keys)
                for hidden in self.hides.get(role, []):
                    assert _fill(hidden, world) not in keys, "{}'s {} holds {}".format(role, file_format, hidden)

    def test_the_download_follows_the_filter(self, client_as, world):
        for query, role, expected in self.filters:
            expected = [_fill(key, world) for key in expected]
            assert self.keys(self.download(client_as, world, role, "csv", query)) == expected, query
            assert self.keys(self.download(client_as, world, role, "xlsx", query)) == expected, query

    def test_masked_values_never_leave(self, client_as, world, monkeypatch):
        for role_name, actions in self.narrowed_actions.items():
            monkeypatch.setitem(self.model.scope_actions, role_name, actions)
        for role, texts in self.hidden_values.items():
            for file_format in ("csv", "xlsx"):
                rows = self.download(client_as, world, role, file_format)
                found = {str(value) for row in rows for value in row}
                for text in texts:
                    assert not any(_fill(text, world) in value for value in found), (role, file_format, text)

    def test_a_row_named_like_a_formula_stays_text(self, client_as, world):
        if self.formula_row is None:
            pytest.skip("no row named like a formula in this world")
        name = _fill(self.formula_row, world)
        rows = self.download(client_as, world, self.formula_role, "csv")
        assert "'" + name in self.keys(rows)
        response = client_as(self.formula_role).get(_fill(self.list_url, world), {"export": "xlsx"})
        cells = [cell for row in read_xlsx(response, cells=True) for cell in row]
        assert any(cell.value == name and cell.data_type == "s" for cell in cells)
        assert all(cell.data_type != "f" for cell in cells)

    def test_headers_and_labels_in_the_request_language(self, client_as, world):
        role = next(iter(self.shows))
        with translation.override("zh-hans"):
            expected = self.export_headers()
        for file_format in ("csv", "xlsx"):
            rows = self.download(client_as, world, role, file_format, HTTP_ACCEPT_LANGUAGE="zh-hans")
            assert rows[0] == expected

    def test_an_unknown_format_is_refused(self, client_as, world):
        role = next(iter(self.shows))
        response = client_as(role).get(_fill(self.list_url, world), {"export": "pdf"})
        assert response.status_code == 400

    def test_the_page_offers_the_download_with_its_filter(self, client_as, world):
        role = next(iter(self.shows))
        query, _role, _keys = self.filters[0] if self.filters else ({}, role, [])
        query = _fill(query, world)
        page = client_as(role).get(_fill(self.list_url, world), query).content.decode()
        assert 'id="list-export-csv"' in page and 'id="list-export-xlsx"' in page
        for name, value in query.items():
            assert "{}={}".format(name, value) in page.split('id="list-export-csv"')[1].split(">")[0]
