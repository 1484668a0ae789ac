"""Opening a round and enrolling its participants (every current formal and probationary member of the subtree)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from appraisal.models import Participant
from members.choices import MemberStatusChoices
from portal import scope


def enrol_current_members(appraisal_round):
    """Enrol every current formal and probationary member of the round's subtree (one INSERT ... SELECT).

    Members already enrolled are left alone, so calling it again adds only those who joined since.
    Returns the number of participants added.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO appraisal_participant
                (created_at, updated_at, round_id, member_id, organization_id, is_probationary, self_evaluation)
            SELECT now(), now(), %s, m.id, m.organization_id, m.status = %s, ''
            FROM members_member m
            JOIN members_organization o ON o.id = m.organization_id
            WHERE o.path LIKE %s AND m.left_on IS NULL AND m.status IN (%s, %s)
            ON CONFLICT (round_id, member_id) DO NOTHING
            """,
            [
                appraisal_round.pk,
                MemberStatusChoices.PROBATIONARY,
                _like_prefix(appraisal_round.organization.path),
                MemberStatusChoices.FORMAL,
                MemberStatusChoices.PROBATIONARY,
            ],
        )
        return cursor.rowcount


def _like_prefix(path):
    return path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@transaction.atomic
def open_round(appraisal_round):
    """Save a new round and enrol its members."""
    appraisal_round.full_clean()
    appraisal_round.save()
    enrol_current_members(appraisal_round)
    return appraisal_round


@transaction.atomic
def add_participant(appraisal_round, member, user):
    """Enrol a member who joined after the round opened."""
    if not scope.allows(user, "add", Participant, member.organization):
        raise PermissionDenied(_("You may not enrol members of this organization."))
    if not member.organization.path.startswith(appraisal_round.organization.path):
        raise ValidationError({"member": [_("The member is not inside the organization this round covers.")]})
    if not member.is_current:
        raise ValidationError({"member": [_("The member is no longer on the roster.")]})
    participant, _created = Participant.objects.get_or_create(
        round=appraisal_round,
        member=member,
        defaults={
            "organization_id": member.organization_id,
            "is_probationary": member.status == MemberStatusChoices.PROBATIONARY,
        },
    )
    return participant
