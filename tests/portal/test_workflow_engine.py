"""The workflow engine's shared parts: one conflict, answered 409 {"detail"} by the API, and declarations checked."""

import json

import pytest

from appraisal.choices import RatingStatusChoices
from appraisal.models import Rating
from portal.api.errors import exception_handler
from portal.workflow import Transition, Workflow, WorkflowConflict


def test_the_api_answers_a_workflow_conflict_with_409_and_its_detail():
    response = exception_handler(WorkflowConflict("Publicity runs until 2026-12-09."), {})
    assert response.status_code == 409
    assert json.loads(response.content) == {"detail": "Publicity runs until 2026-12-09."}


def test_a_declared_transition_may_not_leave_a_final_state_unless_it_is_the_reopening():
    # The final states are the model's own (portal.protections.FinalState), not declared twice.
    with pytest.raises(ValueError, match="final"):
        Workflow(Rating, "status", RatingStatusChoices, [Transition("undo", source="approved", target="draft")])
    workflow = Workflow(
        Rating, "status", RatingStatusChoices, [Transition("reopen", source="approved", target="draft", reopen=True)]
    )
    assert workflow.final_states == ("approved",)


def test_unknown_states_are_refused_at_declaration():
    with pytest.raises(ValueError, match="unknown"):
        Workflow(Rating, "status", RatingStatusChoices, [Transition("lose", source="draft", target="lost")])
