"""The ratings' workflow: submit, publicize, approve (or return) an organization's ratings, and reopen approved ones."""

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from appraisal.choices import RatingStatusChoices, WorkflowActionChoices
from appraisal import workflows
from appraisal.models import Rating, Reopening, WorkflowStep
from appraisal.workflows import RATINGS
from appraisal.services.common import _refuse_unstorable
from portal import scope


# The portal's one workflow conflict (409 in the API, a message on pages); the name stays here
# for the callers that import it from the services.
WorkflowConflict = workflows.WorkflowConflict

# The state each step leads from and to (the API answers the status a step leads to).
_STEPS = {name: (transition.source[0], transition.target) for name, transition in RATINGS.transitions.items()}


def organization_ratings(appraisal_round, organization):
    """The ratings of ``organization``: those entered under it or anywhere below it."""
    return Rating.objects.filter(round=appraisal_round, organization__path__startswith=organization.path)


def holds_higher_role(user, organization):
    """Whether the user approves for a committee above ``organization`` (a role on a strict ancestor)."""
    return scope.allows_from_above(user, "approve", Rating, organization)


def awaiting_approval_by(user, ratings):
    """Those of ``ratings`` that are publicized and that ``user`` approves (holds_higher_role, set-based)."""
    return ratings.filter(status=RatingStatusChoices.PUBLICIZED).filter(scope.from_above_q(user, "approve", Rating))


publicity_ends_on = workflows.publicity_ends_on


def approval_blockers(appraisal_round, organization, today=None):
    """Why the organization's publicized ratings cannot be approved yet (empty when they can)."""
    return workflows.approval_blockers(appraisal_round, organization, today or timezone.localdate())


def refuse_changes_past_draft(existing, wanted):
    """Refuses (``WorkflowConflict``, nothing saved) a list of ratings that would change one past draft.

    ``existing`` maps member id to ``(pk, rating, reason, status)`` of the locked current rows,
    ``wanted`` member id to ``(index, rating, reason)``. Approved ratings are final (only a city
    administrator's reopening goes back); submitted and publicized ones change only once the higher
    committee has sent them back to draft, so a branch is never left half draft, half publicized.
    Sending the same values again is no change.
    """
    final = sum(1 for row in existing.values() if row[3] == RatingStatusChoices.APPROVED)
    if final:
        raise WorkflowConflict(
            _("{count} of these ratings are approved and final; a city administrator must reopen them first.").format(
                count=final
            )
        )
    moved_on = [
        member_id
        for member_id, (_index, value, reason) in wanted.items()
        if member_id in existing
        and existing[member_id][3] != RatingStatusChoices.DRAFT
        and (existing[member_id][1] != value or (reason and existing[member_id][2] != reason))
    ]
    if moved_on:
        raise WorkflowConflict(
            ngettext(
                "{count} of these ratings is already submitted; it changes only after the higher committee "
                "sends it back. Nothing was saved.",
                "{count} of these ratings are already submitted; they change only after the higher committee "
                "sends them back. Nothing was saved.",
                len(moved_on),
            ).format(count=len(moved_on)),
            missing=moved_on,
        )


@transaction.atomic
def move_step(appraisal_round, user, organization, action, today=None):
    """Move every rating of ``organization`` (and below) one step: submit, publicize or approve.

    Submitting and publicizing need the right to change ratings there, and submitting needs every
    enrolled member rated; approving needs a role on a higher organization than the one approved,
    the publicity period over and every objection resolved (``appraisal.workflows.RATINGS``).
    One ``UPDATE`` over the ratings in the caller's scope; returns the number of ratings moved.
    """
    if action not in RATINGS.transitions:
        raise ValidationError({"action": [_("Unknown workflow step.")]})
    return RATINGS.step(
        user, action, organization_ratings(appraisal_round, organization), organization,
        context={"round": appraisal_round}, today=today,
    )


@transaction.atomic
def return_ratings(appraisal_round, user, organization, reason, today=None):
    """The higher committee sends the organization's submitted or publicized ratings back to draft.

    Only from a strictly higher organization, with a written reason; the reason, the user and the
    step are recorded with every returned rating's history. Returns the number sent back.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for sending the ratings back in writing.")]})
    _refuse_unstorable("reason", reason)
    with pghistory.context(workflow_step="return", reason=reason, user=user.pk if user else None):
        return RATINGS.step(
            user, "return", organization_ratings(appraisal_round, organization), organization,
            context={"round": appraisal_round, "reason": reason}, today=today,
        )


@transaction.atomic
def reopen(appraisal_round, user, organization, reason):
    """The city administrator's only way back: the organization's approved ratings return to draft.

    The reopening is recorded first, with its written reason: the database lets approved ratings
    go back to draft only under a reopening recorded in the same transaction (``Rating.final_state``).
    Each rating's history records the change too.
    """
    if not scope.get_scope(user).is_city_admin:
        raise PermissionDenied(_("Only a city administrator may reopen approved ratings."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for reopening in writing.")]})
    _refuse_unstorable("reason", reason)
    # Locked, so the count recorded is the count reopened.
    approved = list(
        organization_ratings(appraisal_round, organization)
        .filter(status=RatingStatusChoices.APPROVED)
        .select_for_update(of=("self",))
        .values_list("pk", flat=True)
    )
    count = len(approved)
    if not count:
        raise WorkflowConflict(_("{organization} has no approved ratings to reopen.").format(organization=organization.name))
    Reopening.objects.create(
        round=appraisal_round, organization=organization, reason=reason, ratings_reopened=count, user=user
    )
    Rating.objects.filter(pk__in=approved).update(
        status=RatingStatusChoices.DRAFT, publicized_on=None, approved_at=None, approved_by=None, updated_at=timezone.now()
    )
    WorkflowStep.objects.create(
        round=appraisal_round, organization=organization, action=WorkflowActionChoices.REOPEN, ratings_moved=count, user=user
    )
    return count
