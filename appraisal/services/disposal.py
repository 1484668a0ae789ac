"""Disposal decisions for members rated unqualified."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from appraisal.choices import RatingChoices
from appraisal.models import Rating
from appraisal.services.workflow import holds_higher_role
from members.choices import ExitReasonChoices


@transaction.atomic
def save_disposal(decision, user):
    """Validate and save a disposal decision; when the higher committee has approved a removal or
    a persuasion to withdraw, the member leaves the roster through its recorded-exit path."""
    decision.organization_id = decision.rating.organization_id
    if decision.committee_approved_on and not holds_higher_role(user, decision.rating.organization):
        raise PermissionDenied(_("The higher party committee records its own approval."))
    decision.full_clean()
    decision.save()
    member = decision.rating.member
    if decision.committee_approved_on and decision.removes_member and member.is_current:
        reason = (
            ExitReasonChoices.REMOVAL
            if decision.kind == "removal"
            else ExitReasonChoices.WITHDRAWAL
        )
        member.record_exit(reason, on=decision.committee_approved_on)
    return decision


def unqualified_without_decision(appraisal_round_ids=None):
    ratings = Rating.objects.filter(rating=RatingChoices.UNQUALIFIED, disposal__isnull=True)
    if appraisal_round_ids is not None:
        ratings = ratings.filter(round_id__in=appraisal_round_ids)
    return ratings
