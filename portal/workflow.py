"""Workflows: the states a scoped row goes through, who moves it, and the one conflict exception.

A workflow is declared once, next to its model::

    RATINGS = Workflow(
        model=Rating,
        field="status",
        states=RatingStatusChoices,
        transitions=[
            Transition("submit", source="draft", target="submitted", action="change", requires=[all_rated]),
            Transition("approve", source="publicized", target="approved", action="change",
                       from_higher="approve", requires=[publicity_over]),
        ],
        record=record_step,
    )

and used three ways:

* ``workflow.step(user, "submit", rows, organization)`` moves every row of ``rows`` (an
  organization's subtree, thousands of rows) that is in the transition's source state, in **one**
  ``UPDATE``, over the rows ``portal.scope.restrict(user, action)`` leaves (and, for a transition
  ``from_higher``, only rows below the user's own organizations: ``scope.from_above_q``). The rows
  are locked first, so the checks and the update see the same rows; then ``record`` writes the
  step row (who, what, how many). A refused step raises ``PermissionDenied`` (the role) or
  :class:`WorkflowConflict` (the state: nothing to move, a check not met).
* ``workflow.available(user, organization, counts)`` says, for each transition, whether the user
  may make it there now and why not (pages show a button only when it is possible, and the
  reason when it is not).
* ``workflow.check_one(user, name, obj)`` checks one object's transition (a transfer letter).

**Final states** are not declared here a second time: the model declares them through
``portal.protections.FinalState`` (a database trigger refuses every change of a final row, by any
path, except the declared ``ReopenRule`` under a reopening recorded in the same transaction).
``Workflow.final_states`` reads them from there, and a transition whose source is final is refused
at declaration time unless it is the model's reopening (``reopen=True``).

**Why not django-fsm-2 (with django-fsm-log).** It was evaluated first. Its ``@transition`` decorates a
model *method*: calling it changes the state of one instance in Python, which is then saved, and
``can_proceed``/``has_transition_perm`` answer for one instance; django-fsm-log writes one
``StateLog`` row per instance from a signal. Our steps are set-based: "submit branch A" or
"approve the county" moves every rating of a subtree (a city-wide approval is tens of thousands of
rows) in one ``UPDATE ... WHERE status = 'publicized'`` with one recorded step, and the permission
is a scope rule over organizations ("only from a strictly higher organization"), not a per-object
permission string. With django-fsm the engine would load every row, call the method, and save it
row by row (minutes for a city, a log row each), or bypass the library for the real work, leaving
it only as a decorator. Its ``protected=True`` is a Python-level guard that ``QuerySet.update`` and
raw SQL skip, while our final states are kept by a database trigger (``portal.protections``). So
the engine is this small module: declarations, one ``UPDATE`` per step, scope from ``portal.scope``.
"""

import dataclasses
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import scope


class WorkflowConflict(Exception):
    """The state of the rows forbids this step (answered 409 ``{"detail"}`` by the API and as an
    error message on pages: ``portal.api.errors``, ``portal.views.generic.WorkflowViewMixin``)."""

    def __init__(self, message, missing=None):
        super().__init__(message)
        self.message = message
        # What is missing for the step (e.g. the unrated members), for callers that list it.
        self.missing = list(missing or [])

    def __str__(self):
        return str(self.message)


@dataclasses.dataclass(frozen=True)
class Transition:
    """One step: from any of ``source`` to ``target``.

    ``action`` is the scope action the user needs on the rows' organization (``scope_actions``);
    ``from_higher`` (True, or another action name) also requires that action from a strictly
    higher organization (``scope.allows_from_above``): the higher committee approves, never the
    organization that entered the rows. ``requires`` are checks run on the locked rows, each
    returning a reason (or a list of reasons) why the step cannot be made, or nothing.
    ``changes`` returns the other fields the step sets (``changes(step) -> dict``).
    ``denied``/``denied_from_higher`` are the messages of the 403 answers. ``permits(user, obj)``
    replaces the role check where a step's right is not the rows' own scope (the receiving side of
    a transfer letter accepts it: ``add`` of members at its destination).
    """

    name: str
    source: tuple
    target: str
    action: str = "change"
    from_higher: bool | str = False
    label: str = ""
    requires: tuple = ()
    changes: Callable | None = None
    denied: str = ""
    denied_from_higher: str = ""
    reopen: bool = False
    permits: Callable | None = None

    def __post_init__(self):
        if isinstance(self.source, str):
            object.__setattr__(self, "source", (self.source,))
        object.__setattr__(self, "requires", tuple(self.requires))

    @property
    def higher_action(self):
        if not self.from_higher:
            return None
        return self.action if self.from_higher is True else self.from_higher


@dataclasses.dataclass
class Step:
    """One step being made (or checked): what the ``requires`` checks and ``record`` receive."""

    workflow: "Workflow"
    transition: Transition
    user: object
    organization: object
    rows: object  # the rows in scope (a queryset), before filtering on the source state
    context: dict
    today: object
    counts: dict | None = None
    moved: int = 0


@dataclasses.dataclass(frozen=True)
class Available:
    """Whether ``transition`` can be made by the user there now, and the reason when not."""

    transition: Transition
    allowed: bool
    reason: str = ""

    @property
    def name(self):
        return self.transition.name


def _reasons(result):
    if not result:
        return []
    if isinstance(result, (list, tuple)):
        return [str(reason) for reason in result if reason]
    return [str(result)]


class Workflow:
    """The states of ``model.<field>``, its transitions and how a step is recorded.

    ``states`` is the model's ``TextChoices``; ``record(step)`` writes the step row (called once
    per step, after the ``UPDATE``); ``nothing_to_move(step)`` is the conflict message when no row
    is in the source state (a default names the state and the counts by state).
    """

    def __init__(self, model, field, states, transitions, record=None, nothing_to_move=None):
        self.model = model
        self.field = field
        self.states = states
        self.transitions = {transition.name: transition for transition in transitions}
        self.record = record
        self.nothing_to_move = nothing_to_move
        known = set(states.values)
        for transition in transitions:
            unknown = (set(transition.source) | {transition.target}) - known
            if unknown:
                raise ValueError("{}: unknown states {}".format(transition.name, sorted(unknown)))
            final_sources = set(transition.source) & set(self.final_states)
            if final_sources and not transition.reopen:
                raise ValueError(
                    "{}: leaves the final state(s) {}; only the reopening may (reopen=True)".format(
                        transition.name, sorted(final_sources)
                    )
                )

    @property
    def final_states(self):
        """The final states, as the model declares them to the database (``portal.protections``)."""
        final_state = getattr(self.model, "final_state", None)
        if final_state is None or final_state.field != self.field:
            return ()
        return tuple(final_state.values)

    @property
    def reopen_rule(self):
        final_state = getattr(self.model, "final_state", None)
        return final_state.reopen if final_state is not None else None

    def __getitem__(self, name):
        return self.transitions[name]

    # --- who may ---------------------------------------------------------------------------

    def permission_problem(self, user, transition, organization):
        """The reason ``user`` may not make ``transition`` at ``organization`` (None when they may)."""
        if transition.permits is not None:
            return None if transition.permits(user, organization) else str(transition.denied or _("You may not do this."))
        if not scope.allows(user, transition.action, self.model, organization):
            return str(transition.denied or _("You may not do this."))
        higher = transition.higher_action
        if higher and not scope.allows_from_above(user, higher, self.model, organization):
            return str(transition.denied_from_higher or _("Only a higher organization may do this."))
        return None

    def check_permission(self, user, transition, organization):
        problem = self.permission_problem(user, transition, organization)
        if problem:
            raise PermissionDenied(problem)

    def in_scope(self, rows, user, transition):
        """``rows`` cut down to those ``user`` may move with ``transition`` (through ``restrict``)."""
        rows = scope.restrict(rows, user, transition.action)
        higher = transition.higher_action
        if higher:
            rows = rows.filter(scope.from_above_q(user, higher, self.model))
        return rows

    # --- the step --------------------------------------------------------------------------

    def step(self, user, name, rows, organization, context=None, today=None, changes=None):
        """Move the rows of ``rows`` in ``name``'s source state to its target, in one ``UPDATE``.

        Call inside ``transaction.atomic``. Returns the number of rows moved; raises
        ``PermissionDenied`` or :class:`WorkflowConflict`, having changed nothing.
        """
        transition = self.transitions[name]
        self.check_permission(user, transition, organization)
        rows = self.in_scope(rows, user, transition)
        step = Step(self, transition, user, organization, rows, dict(context or {}), today or timezone.localdate())
        # Lock first: the checks below and the update see the same rows.
        list(rows.select_for_update(of=("self",)).values_list("pk", flat=True))
        reasons = [reason for check in transition.requires for reason in _reasons(check(step))]
        if reasons:
            raise WorkflowConflict(" ".join(reasons))
        values = {self.field: transition.target}
        if "updated_at" in {field.name for field in self.model._meta.concrete_fields}:
            values["updated_at"] = timezone.now()
        if transition.changes is not None:
            values.update(transition.changes(step))
        values.update(changes or {})
        step.moved = rows.filter(**{self.field + "__in": transition.source}).update(**values)
        if not step.moved:
            raise WorkflowConflict(self._nothing_message(step))
        if self.record is not None:
            self.record(step)
        return step.moved

    def counts(self, rows):
        """``{state: count}`` of ``rows``."""
        return dict(rows.order_by().values_list(self.field).annotate(n=Count("pk")))

    def _nothing_message(self, step):
        if self.nothing_to_move is not None:
            return self.nothing_to_move(step)
        counts = self.counts(step.rows)
        return _("Nothing is {state} here (by state: {counts}).").format(
            state=self.states(step.transition.source[0]).label.lower(),
            counts=", ".join("{}: {}".format(k, v) for k, v in sorted(counts.items())) or _("none"),
        )

    # --- what a page offers ----------------------------------------------------------------

    def available(self, user, organization, counts, rows=None, context=None, today=None, names=None):
        """For each transition (or those ``names``): may ``user`` make it at ``organization`` now?

        ``counts`` are the rows' counts by state (``{state: n}``), so a page with many
        organizations computes them in one query; the ``requires`` checks run only where the
        role allows the step and rows are in its source state (``rows`` and ``context`` are handed
        to them). The result lists each transition with the reason it is not possible.
        """
        answers = []
        for name in names or self.transitions:
            transition = self.transitions[name]
            problem = self.permission_problem(user, transition, organization)
            if problem:
                answers.append(Available(transition, False, str(problem)))
                continue
            if not any(counts.get(state) for state in transition.source):
                answers.append(
                    Available(
                        transition,
                        False,
                        _("Nothing is {state} here.").format(state=self.states(transition.source[0]).label.lower()),
                    )
                )
                continue
            step = Step(
                self, transition, user, organization, rows, dict(context or {}), today or timezone.localdate(), counts
            )
            reasons = [reason for check in transition.requires for reason in _reasons(check(step))]
            answers.append(Available(transition, not reasons, " ".join(reasons)))
        return answers

    # --- one object ------------------------------------------------------------------------

    def may(self, user, name, obj):
        """Whether ``user`` may make ``name`` on ``obj`` (its role; not its state)."""
        transition = self.transitions[name]
        if transition.permits is not None:
            return bool(transition.permits(user, obj))
        return self.permission_problem(user, transition, obj) is None

    def check_state(self, obj, name, message=None):
        """Refuses (``WorkflowConflict``) when ``obj`` is not in ``name``'s source state."""
        transition = self.transitions[name]
        if getattr(obj, self.field) not in transition.source:
            raise WorkflowConflict(
                message
                or _("This is {state}; it cannot be {step}.").format(
                    state=self.states(getattr(obj, self.field)).label.lower(), step=transition.label or transition.name
                )
            )
        return transition
