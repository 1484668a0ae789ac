"""The ratings' workflow: submit, publicize, approve (or return) an organization's ratings, and reopen approved ones."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisal.choices import RatingStatusChoices, WorkflowActionChoices
from appraisal.models import Objection, Rating, Reopening, WorkflowStep
from appraisal.services.common import _refuse_unstorable
from portal import scope


class WorkflowConflict(Exception):
    """The state of the ratings forbids this change (answered with 409)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message



_STEPS = {
    WorkflowActionChoices.SUBMIT: (RatingStatusChoices.DRAFT, RatingStatusChoices.SUBMITTED),
    WorkflowActionChoices.PUBLICIZE: (RatingStatusChoices.SUBMITTED, RatingStatusChoices.PUBLICIZED),
    WorkflowActionChoices.APPROVE: (RatingStatusChoices.PUBLICIZED, RatingStatusChoices.APPROVED),
}


def organization_ratings(appraisal_round, organization):
    """The ratings of ``organization``: those entered under it or anywhere below it."""
    return Rating.objects.filter(round=appraisal_round, organization__path__startswith=organization.path)


def _approving_grants(user):
    return [grant for grant in scope.get_scope(user).grants if "approve" in Rating.scope_actions.get(grant.role, ())]


def holds_higher_role(user, organization):
    """Whether the user approves for a committee above ``organization`` (a role on a strict ancestor)."""
    if scope.get_scope(user).is_city_admin:
        return True
    return any(
        organization.path.startswith(grant.path) and organization.path != grant.path for grant in _approving_grants(user)
    )


def awaiting_approval_by(user, ratings):
    """Those of ``ratings`` that are publicized and that ``user`` approves (holds_higher_role, set-based)."""
    ratings = ratings.filter(status=RatingStatusChoices.PUBLICIZED)
    if scope.get_scope(user).is_city_admin:
        return ratings
    condition = Q(pk__in=[])
    for grant in _approving_grants(user):
        condition |= Q(organization__path__startswith=grant.path) & ~Q(organization_id=grant.organization_id)
    return ratings.filter(condition)


def publicity_ends_on(appraisal_round, publicized_on):
    return publicized_on + datetime.timedelta(days=appraisal_round.publicity_days)


def approval_blockers(appraisal_round, organization, today=None):
    """Why the organization's publicized ratings cannot be approved yet (empty when they can)."""
    today = today or timezone.localdate()
    reasons = []
    latest = (
        organization_ratings(appraisal_round, organization)
        .filter(status=RatingStatusChoices.PUBLICIZED)
        .aggregate(latest=Max("publicized_on"))["latest"]
    )
    if latest is not None and publicity_ends_on(appraisal_round, latest) > today:
        reasons.append(
            _("The publicity period runs until {date}; approve after it has ended.").format(
                date=publicity_ends_on(appraisal_round, latest).isoformat()
            )
        )
    unresolved = Objection.objects.filter(
        round=appraisal_round, organization__path__startswith=organization.path, resolved_on__isnull=True
    ).count()
    if unresolved:
        reasons.append(
            _("{count} objection(s) raised during publicity are not resolved yet.").format(count=unresolved)
        )
    return reasons


@transaction.atomic
def move_step(appraisal_round, user, organization, action, today=None):
    """Move every rating of ``organization`` (and below) one step: submit, publicize or approve.

    Submitting and publicizing need the right to change ratings there; approving needs a role
    on a higher organization than the one approved. Returns the number of ratings moved.
    """
    today = today or timezone.localdate()
    source, target = _STEPS[action]
    if not scope.allows(user, "change", Rating, organization):
        raise PermissionDenied(_("You may not change the ratings of this organization."))
    if action == WorkflowActionChoices.APPROVE and not holds_higher_role(user, organization):
        raise PermissionDenied(
            _("Ratings are approved by a higher party committee than the organization that entered them.")
        )
    # Lock the organization's ratings so the checks below and the update see the same rows.
    ratings = organization_ratings(appraisal_round, organization)
    list(ratings.select_for_update().values_list("pk", flat=True))
    if action == WorkflowActionChoices.APPROVE:
        blockers = approval_blockers(appraisal_round, organization, today)
        if blockers:
            raise WorkflowConflict(" ".join(str(reason) for reason in blockers))
    changes = {"status": target, "updated_at": timezone.now()}
    if action == WorkflowActionChoices.PUBLICIZE:
        changes["publicized_on"] = today
    if action == WorkflowActionChoices.APPROVE:
        changes.update(approved_at=timezone.now(), approved_by=user)
    moved = ratings.filter(status=source).update(**changes)
    if not moved:
        counts = dict(ratings.values_list("status").annotate(n=Count("pk")))
        raise WorkflowConflict(
            _("No {source} ratings of {organization} to move (ratings by status: {counts}).").format(
                source=RatingStatusChoices(source).label,
                organization=organization.name,
                counts=", ".join("{}: {}".format(k, v) for k, v in sorted(counts.items())) or _("none"),
            )
        )
    WorkflowStep.objects.create(
        round=appraisal_round, organization=organization, action=action, ratings_moved=moved, user=user
    )
    return moved


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
