"""Named choices of organizations and members (values fixed by API.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganizationKindChoices(models.TextChoices):
    """The level of a party organization in the tree."""

    COMMITTEE = "committee", _("Party committee")
    WORKING_COMMITTEE = "working_committee", _("Working committee")
    GENERAL_BRANCH = "general_branch", _("General branch")
    BRANCH = "branch", _("Branch")
    GROUP = "group", _("Party group")


class SectorChoices(models.TextChoices):
    """The field of society an organization works in."""

    ORGAN = "organ", _("Government organs")
    RURAL = "rural", _("Rural")
    COMMUNITY = "community", _("Community")
    ENTERPRISE = "enterprise", _("Non-public enterprise")
    SOCIAL = "social", _("Social organization")
    SCHOOL = "school", _("School")
    STATE_ENTERPRISE = "state_enterprise", _("State enterprise")
    OTHER = "other", _("Other")


class MemberStatusChoices(models.TextChoices):
    """Probationary (预备) or formal (正式) party member."""

    PROBATIONARY = "probationary", _("Probationary")
    FORMAL = "formal", _("Formal")


class GenderChoices(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class MemberCategoryChoices(models.TextChoices):
    """Categories a member belongs to; a member may be in several."""

    RURAL = "rural", _("Rural")
    LEADING_CADRE = "leading_cadre", _("Leading cadre")
    RETIRED = "retired", _("Retired")
    MOBILE = "mobile", _("Mobile (migrant)")
    LAID_OFF = "laid_off", _("Laid-off or unemployed")
    ENTERPRISE = "enterprise", _("Enterprise employee")
    COMMUNITY = "community", _("Community resident")
    STUDENT = "student", _("Student")


class ActivityStatusChoices(models.TextChoices):
    NORMAL = "normal", _("Normal")
    SICK_LEAVE = "sick_leave", _("Sick or on leave")
    LOST_CONTACT = "lost_contact", _("Lost contact")
    ABROAD = "abroad", _("Abroad")


class ExitReasonChoices(models.TextChoices):
    """Why a member left the roster (members are never deleted)."""

    TRANSFER_OUT = "transfer_out", _("Transferred out of the system")
    DEATH = "death", _("Death")
    WITHDRAWAL = "withdrawal", _("Persuaded to withdraw")
    REMOVAL = "removal", _("Removal")


class TransferStatusChoices(models.TextChoices):
    """Where a transfer letter (组织关系介绍信) stands."""

    ISSUED = "issued", _("Issued")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned")
    EXPIRED = "expired", _("Expired")
