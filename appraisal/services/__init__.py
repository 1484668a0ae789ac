"""The appraisal's operations, shared by pages and API: enrol, enter ratings, move the workflow, reopen, dispose.

Each operation checks scope itself and raises:

* ``django.core.exceptions.ValidationError`` for bad input (400, nothing saved);
* ``django.core.exceptions.PermissionDenied`` for a visible thing the caller may not do (403);
* ``WorkflowConflict`` when the state forbids the change (409): an approved rating, a
  publicity period still running, unresolved objections, nothing to move.

Callers run them inside ``transaction.atomic`` (the functions open their own too)."""

from appraisal.services.common import (  # noqa: F401
    MAX_COUNT,
    MAX_ID,
    get_organization_or_404,
    get_round_or_404,
)
from appraisal.services.enrolment import (  # noqa: F401
    add_participant,
    enrol_current_members,
    open_round,
)
from appraisal.services.workflow import (  # noqa: F401
    _STEPS,  # the API answers the status a step leads to
    WorkflowConflict,
    approval_blockers,
    awaiting_approval_by,
    holds_higher_role,
    move_step,
    organization_ratings,
    publicity_ends_on,
    reopen,
    return_ratings,
)
from appraisal.services.entry import (  # noqa: F401
    save_evaluation,
    save_ratings,
)
from appraisal.services.objections import (  # noqa: F401
    record_objection,
    resolve_objection,
)
from appraisal.services.disposal import (  # noqa: F401
    save_disposal,
    unqualified_without_decision,
)
