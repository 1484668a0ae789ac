"""Workflow steps as data: every transition × role → allowed or refused, final states immutable.

A test class names its workflow (``portal.workflow.Workflow``), builds a ``world`` and lists its
steps::

    class TestRatingSteps(WorkflowTests):
        workflow = RATINGS
        steps = [
            StepCase("approve", "{BRANCH_B}", everyone(403, city_admin=200, county_staff=200, secretary_a=404)),
            ...
        ]

        def perform(self, api, world, case):      # how one step is asked for (the API by default)
            ...

Each (step, role) is a test of its own. An allowed step (2xx) must have moved rows into the
transition's target state; a refused one (403, 404, 409...) must leave every row of the model
exactly as it was. ``final_row`` (a fixture giving one row in a final state, or None) drives the
final-state tests: no UPDATE to any state and no DELETE goes through, not with raw SQL, not with
``pgtrigger.ignore`` set; ``test_declaration`` checks the declaration itself (final states come from
the model's ``FinalState``; only a reopening leaves one).
"""

import json
from dataclasses import dataclass

import pytest
from django.db import DatabaseError, connection, transaction

from tests.matrix import ALL_ROLES, everyone  # noqa: F401  (``everyone`` is for the subclasses' cases)


@dataclass
class StepCase:
    """One step asked for at one place, and the status each role must get."""

    transition: str
    target: str  # a template filled from ``world`` (an organization code, an object id)
    expect: dict
    data: dict = None


class WorkflowTests:
    """Base of a workflow test class; subclasses set ``workflow`` and ``steps`` and the fixtures."""

    workflow = None
    steps = []

    def pytest_generate_tests(self, metafunc):
        if "step_case" in metafunc.fixturenames:
            params, ids = [], []
            for case in self.steps:
                for role, status in case.expect.items():
                    params.append((case, role, status))
                    ids.append("{}-{}-{}".format(case.transition, case.target, role))
            metafunc.parametrize("step_case", params, ids=ids)

    @pytest.fixture
    def world(self, tree, users):
        return {code: code for code in tree}

    @pytest.fixture
    def final_row(self, world):
        """One row in a final state (None when the workflow has none)."""
        return None

    def perform(self, api, world, case):
        """Ask for the step as ``api`` (a logged-in API client); returns the response."""
        raise NotImplementedError

    def _rows(self):
        return list(self.workflow.model.objects.order_by("pk").values())

    def _count(self, state):
        return self.workflow.model.objects.filter(**{self.workflow.field: state}).count()

    def test_step(self, step_case, world, api_as):
        case, role, expected = step_case
        transition = self.workflow[case.transition]
        before = self._rows()
        in_target = self._count(transition.target)
        response = self.perform(api_as(role), world, case)
        assert response.status_code == expected, "{} at {} as {}: {} (expected {}): {}".format(
            case.transition, case.target.format(**world), role, response.status_code, expected, _body(response)
        )
        if expected < 300:
            assert self._count(transition.target) > in_target, "{} as {} moved nothing".format(case.transition, role)
        else:
            assert self._rows() == before, "a refused {} as {} changed rows".format(case.transition, role)

    def test_declaration(self):
        workflow = self.workflow
        final = getattr(workflow.model, "final_state", None)
        if final is not None and final.field == workflow.field:
            assert set(workflow.final_states) == set(final.values)
        for transition in workflow.transitions.values():
            assert set(transition.source) | {transition.target} <= set(workflow.states.values)
            if set(transition.source) & set(workflow.final_states):
                assert transition.reopen, "{} leaves a final state".format(transition.name)

    def test_final_state_is_immutable_even_to_raw_sql(self, final_row):
        if final_row is None:
            pytest.skip("this workflow has no final state")
        model = type(final_row)
        table = connection.ops.quote_name(model._meta.db_table)
        column = connection.ops.quote_name(model._meta.get_field(self.workflow.field).column)
        before = model.objects.filter(pk=final_row.pk).values().get()
        statements = [("UPDATE {} SET {} = %s WHERE id = %s".format(table, column), [state, final_row.pk]) for state in self.workflow.states.values]
        statements.append(("UPDATE {} SET updated_at = now() WHERE id = %s".format(table), [final_row.pk]))
        statements.append(("DELETE FROM {} WHERE id = %s".format(table), [final_row.pk]))
        for sql, params in statements:
            for ignore in (False, True):
                with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
                    if ignore:
                        # What switches django-pgtrigger's triggers off does not switch these off.
                        cursor.execute("SET LOCAL pgtrigger.ignore = '{}'".format(model._meta.db_table))
                    cursor.execute(sql, params)
        assert model.objects.filter(pk=final_row.pk).values().get() == before


def _body(response):
    try:
        return json.dumps(response.json(), ensure_ascii=False)[:300]
    except Exception:
        return getattr(response, "content", b"")[:300]
