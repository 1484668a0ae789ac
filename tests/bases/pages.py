"""A generic test base for a scoped model's pages (after NetBox's ``ViewTestCases``).

A model's page tests are data: which role gets which status on the list, detail, edit and delete
pages, what a role's list shows and hides, and that a refused write leaves the table as it was::

    class TestMemberPages(PageViewTestCase):
        model = Member
        list_url = "/members/"
        detail_url = "/members/{member}/"
        edit_url = "/members/{member}/edit/"
        list_status = {"secretary_a": 200, "reader": 403, "anonymous": 302}
        list_shows = {"secretary_a": ["Wang A"]}
        detail_status = {"secretary_a": 200, "secretary_b": 404}
        edit_refused = {"secretary_b": 404}
        edit_payload = {"name": "Hacked"}

        @pytest.fixture
        def world(self, tree, users, make_member):
            return {"member": make_member("BRANCH_A", name="Wang A").pk}

URLs, payload strings and the strings of ``list_shows``/``list_hides`` are templates filled from
``world`` (the tree's codes by default). Compose the pages a model has (``ListPageTests``,
``DetailPageTests``, ``EditPageTests``, ``DeletePageTests``), or take all four with
``PageViewTestCase``. Anonymous visitors must be sent to the login page (302) wherever listed.
"""

import pytest

from tests.base import _fill


class PageTestBase:
    model = None
    list_url = None
    detail_url = None
    edit_url = None
    delete_url = None

    @pytest.fixture
    def world(self, tree, users):
        return {code: code for code in tree}

    def rows(self):
        return list(self.model.objects.order_by("pk").values())

    def check_statuses(self, client_as, world, url, statuses, method="get", data=None):
        """Each role's answer to ``url``; answers that refuse a write must change no row."""
        url = _fill(url, world)
        for role, expected in statuses.items():
            before = self.rows() if method != "get" and self.model is not None else None
            response = getattr(client_as(role), method)(url, _fill(data or {}, world))
            assert response.status_code == expected, "{} {} as {}: {} (expected {})".format(
                method.upper(), url, role, response.status_code, expected
            )
            if role == "anonymous" and expected == 302:
                assert "/login/" in response["Location"]
            if before is not None and expected >= 300:
                assert self.rows() == before, "a refused {} {} as {} changed {}".format(method.upper(), url, role, self.model)


class ListPageTests(PageTestBase):
    # role → status of the list page; role → strings its list must show / must not show.
    list_status = {}
    list_shows = {}
    list_hides = {}

    def test_list_page_per_role(self, client_as, world):
        self.check_statuses(client_as, world, self.list_url, self.list_status)

    def test_list_shows_exactly_the_role_scope(self, client_as, world):
        for role in set(self.list_shows) | set(self.list_hides):
            page = client_as(role).get(_fill(self.list_url, world)).content.decode()
            for text in self.list_shows.get(role, ()):
                assert _fill(text, world) in page, (role, text)
            for text in self.list_hides.get(role, ()):
                assert _fill(text, world) not in page, (role, text)


class DetailPageTests(PageTestBase):
    # role → status of the detail page (404 outside the role's scope, never 403).
    detail_status = {}

    def test_detail_page_per_role(self, client_as, world):
        self.check_statuses(client_as, world, self.detail_url, self.detail_status)


class EditPageTests(PageTestBase):
    # role → status of the edit form (GET); role → status of a POST of ``edit_payload`` that must
    # be refused (and change nothing).
    edit_status = {}
    edit_refused = {}
    edit_payload = {}

    def test_edit_page_per_role(self, client_as, world):
        self.check_statuses(client_as, world, self.edit_url, self.edit_status)

    def test_refused_edit_changes_nothing(self, client_as, world):
        self.check_statuses(client_as, world, self.edit_url, self.edit_refused, method="post", data=self.edit_payload)


class DeletePageTests(PageTestBase):
    # role → status of the delete confirmation (GET); role → status of a refused POST (nothing deleted).
    delete_status = {}
    delete_refused = {}

    def test_delete_page_per_role(self, client_as, world):
        self.check_statuses(client_as, world, self.delete_url, self.delete_status)

    def test_refused_delete_changes_nothing(self, client_as, world):
        self.check_statuses(client_as, world, self.delete_url, self.delete_refused, method="post")


class PageViewTestCase(ListPageTests, DetailPageTests, EditPageTests, DeletePageTests):
    """All four pages."""
