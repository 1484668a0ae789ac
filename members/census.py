"""Census and data quality (摸清家底): what needs fixing in the roster of an organization subtree.

Each check is one condition on members (or organizations); the census page counts them all in one
aggregate query per model, and each count links to the list filtered by the same condition
(``?needs=<check>``), so the page and the list can never disagree.
"""

import datetime

from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.choices import ActivityStatusChoices, MemberStatusChoices
from members.models.members import LOST_CONTACT_FLAG_DAYS, PROBATION_DAYS
from members.models.organizations import PATH_STEP

MISSING_PHONE = "missing_phone"
MISSING_ID_NUMBER = "missing_id_number"
LOST_CONTACT = "lost_contact"
POCKET = "pocket"
PROBATION_OVERDUE = "probation_overdue"

NEEDS_CHOICES = (
    (MISSING_PHONE, _("Missing phone")),
    (MISSING_ID_NUMBER, _("Missing ID number")),
    (LOST_CONTACT, _("Lost contact for over 6 months")),
    (POCKET, _("Pocket members")),
    (PROBATION_OVERDUE, _("Probationary for over a year without a decision")),
)


def member_needs_condition(check, today=None):
    """The ``Q`` of the current members that ``check`` flags."""
    today = today or timezone.localdate()
    if check == MISSING_PHONE:
        return Q(phone__isnull=True) | Q(phone="")
    if check == MISSING_ID_NUMBER:
        return Q(id_number="")
    if check == LOST_CONTACT:
        # An unknown "since" (records older than the tracking) counts: nobody can say it is recent.
        since_limit = today - datetime.timedelta(days=LOST_CONTACT_FLAG_DAYS)
        return Q(activity_status=ActivityStatusChoices.LOST_CONTACT) & (
            Q(activity_status_since__isnull=True) | Q(activity_status_since__lte=since_limit)
        )
    if check == POCKET:
        return Q(is_pocket=True)
    if check == PROBATION_OVERDUE:
        return Q(status=MemberStatusChoices.PROBATIONARY, joined_on__lt=today - datetime.timedelta(days=PROBATION_DAYS))
    raise ValueError(check)


def member_census(members, today=None):
    """One aggregate query: the total and the count of every check over ``members``."""
    today = today or timezone.localdate()
    aggregates = {"total": Count("pk")}
    for check, _label in NEEDS_CHOICES:
        aggregates[check] = Count("pk", filter=member_needs_condition(check, today))
    return members.aggregate(**aggregates)


def member_census_by_child(members, organization, today=None):
    """One grouped query: the same counts for each direct child's subtree of ``organization``
    (members directly in ``organization`` form their own row, keyed by its own path)."""
    today = today or timezone.localdate()
    aggregates = {"total": Count("pk")}
    for check, _label in NEEDS_CHOICES:
        aggregates[check] = Count("pk", filter=member_needs_condition(check, today))
    child_path = Substr("organization__path", 1, len(organization.path) + PATH_STEP)
    return list(members.annotate(child_path=child_path).values("child_path").annotate(**aggregates).order_by("child_path"))
