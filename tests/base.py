"""A generic test base for a scoped model's API (after NetBox's ``APIViewTestCases``).

A model's CRUD and scope tests are data::

    class TestOrganizationAPI(APICrudTests):
        model = Organization
        list_url = "/api/v1/organizations/"
        lookup = "code"
        list_visible = {"county_staff": {"COUNTY", "TOWN", ...}, ...}
        create = ("county_staff", {"code": "NEW", "parent": "{TOWN}", ...})
        ...

Compose the operations a model has: ``APIViewTestCase`` is all five (list,
detail, create, update, delete); a model without one (members are never deleted) combines the
mixins it needs (``ListTests, DetailTests, CreateTests, UpdateTests``). URL and payload strings
are templates filled from the ``world`` fixture (the tree's codes by default; override it to add
object ids).
"""

import pytest

from tests.matrix import ALL_ROLES, collect_pages


def _fill(value, world):
    if isinstance(value, str):
        return value.format(**world)
    if isinstance(value, dict):
        return {key: _fill(item, world) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, world) for item in value]
    return value


class APITestBase:
    model = None
    list_url = None
    lookup = "id"
    # role → the set of lookups its list returns; roles listed in list_denied get that status instead.
    list_visible = {}
    list_denied = {"anonymous": 401}
    # (role, lookup template) that may read/change/delete; (role, lookup) visible but read-only;
    # (role, lookup) outside the role's scope.
    detail = None
    read_only = None
    out_of_scope = None
    # (role, payload) that creates; (role, payload, status) that must be refused.
    create = None
    create_refused = ()
    # (role, lookup, payload, {field: expected value after}).
    update = None
    update_payload_for_refusals = {}
    # (role, lookup) that deletes.
    delete = None

    @pytest.fixture
    def world(self, tree, users):
        return {code: code for code in tree}

    def detail_url(self, lookup):
        return "{}{}/".format(self.list_url, lookup)

    def rows(self):
        return list(self.model.objects.order_by("pk").values())



class ListTests(APITestBase):
    def test_list_returns_exactly_the_role_scope(self, api_as, world):
        for role in ALL_ROLES:
            client = api_as(role)
            if role in self.list_denied:
                assert client.get(self.list_url).status_code == self.list_denied[role], role
                continue
            if role not in self.list_visible:
                continue
            seen = collect_pages(client, self.list_url + "?page_size=1000", self.lookup)
            expected = {_fill(value, world) for value in self.list_visible[role]}
            assert len(seen) == len(set(seen)), "duplicates in the list of {}".format(role)
            assert {str(v) for v in seen} == {str(v) for v in expected}, role



class DetailTests(APITestBase):
    def test_detail_in_scope(self, api_as, world):
        role, lookup = self.detail
        response = api_as(role).get(self.detail_url(_fill(lookup, world)))
        assert response.status_code == 200, response.content
        assert str(response.json()[self.lookup]) == str(_fill(lookup, world))

    def test_detail_out_of_scope_is_404(self, api_as, world):
        role, lookup = self.out_of_scope
        assert api_as(role).get(self.detail_url(_fill(lookup, world))).status_code == 404



class CreateTests(APITestBase):
    def test_create(self, api_as, world):
        role, payload = self.create
        before = self.model.objects.count()
        response = api_as(role).post(self.list_url, _fill(payload, world), format="json")
        assert response.status_code == 201, response.content
        assert self.model.objects.count() == before + 1

    def test_create_refused_changes_nothing(self, api_as, world):
        for role, payload, status in self.create_refused:
            before = self.rows()
            response = api_as(role).post(self.list_url, _fill(payload, world), format="json")
            assert response.status_code == status, (role, payload, response.content)
            assert self.rows() == before



class UpdateTests(APITestBase):
    def test_update(self, api_as, world):
        role, lookup, payload, expected = self.update
        response = api_as(role).patch(self.detail_url(_fill(lookup, world)), _fill(payload, world), format="json")
        assert response.status_code == 200, response.content
        body = response.json()
        for key, value in expected.items():
            assert body[key] == _fill(value, world), key

    def test_update_read_only_is_403_and_out_of_scope_404(self, api_as, world):
        payload = _fill(self.update_payload_for_refusals or self.update[2], world)
        for case, status in ((self.read_only, 403), (self.out_of_scope, 404)):
            if case is None:
                continue
            role, lookup = case
            before = self.rows()
            response = api_as(role).patch(self.detail_url(_fill(lookup, world)), payload, format="json")
            assert response.status_code == status, (role, response.content)
            assert self.rows() == before



class DeleteTests(APITestBase):
    def test_delete(self, api_as, world):
        role, lookup = self.delete
        before = self.model.objects.count()
        response = api_as(role).delete(self.detail_url(_fill(lookup, world)))
        assert response.status_code == 204, response.content
        assert self.model.objects.count() == before - 1

    def test_delete_read_only_is_403_and_out_of_scope_404(self, api_as, world):
        for case, status in ((self.read_only, 403), (self.out_of_scope, 404)):
            if case is None:
                continue
            role, lookup = case
            before = self.rows()
            assert api_as(role).delete(self.detail_url(_fill(lookup, world))).status_code == status, role
            assert self.rows() == before


class APIViewTestCase(ListTests, DetailTests, CreateTests, UpdateTests, DeleteTests):
    """All five operations."""
