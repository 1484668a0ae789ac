"""Objections raised against a rating while it is publicized, and their resolution."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisal.choices import RatingStatusChoices
from appraisal.models import Objection, Rating
from appraisal.services.common import _refuse_unstorable
from appraisal.services.workflow import WorkflowConflict
from portal import scope


@transaction.atomic
def record_objection(appraisal_round, user, member, text):
    """Record an objection against a member whose rating is publicized."""
    if not scope.allows(user, "add", Objection, member.organization):
        raise PermissionDenied(_("You may not record objections for this organization."))
    rating = Rating.objects.filter(round=appraisal_round, member=member).first()
    if rating is None or rating.status != RatingStatusChoices.PUBLICIZED:
        raise WorkflowConflict(_("Objections are recorded while the member's rating is publicized."))
    if not (text or "").strip():
        raise ValidationError({"text": [_("Write down the objection.")]})
    _refuse_unstorable("text", text)
    return Objection.objects.create(
        round=appraisal_round, member=member, organization=rating.organization, text=text.strip()
    )


@transaction.atomic
def resolve_objection(objection, user, resolution, today=None):
    if not scope.allows(user, "change", Objection, objection.organization):
        raise PermissionDenied(_("You may not resolve objections of this organization."))
    if not (resolution or "").strip():
        raise ValidationError({"resolution": [_("Say how the objection was resolved.")]})
    _refuse_unstorable("resolution", resolution)
    objection.resolution = resolution.strip()
    objection.resolved_on = today or timezone.localdate()
    objection.save(update_fields=["resolution", "resolved_on", "updated_at"])
    return objection
