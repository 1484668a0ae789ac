"""Party members (党员): the roster every other part of the portal counts."""

import pghistory
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.choices import (
    ActivityStatusChoices,
    ExitReasonChoices,
    GenderChoices,
    MemberCategoryChoices,
    MemberStatusChoices,
)
from portal.models import ScopedModel, ScopedQuerySet


class MemberQuerySet(ScopedQuerySet):
    def current(self):
        """Members still on the roster (not transferred out, deceased, withdrawn or removed)."""
        return self.filter(left_on__isnull=True)


class Member(ScopedModel):
    """A party member (党员), probationary or formal, registered with one organization.

    Members are never deleted: they leave through a recorded exit reason and date.
    """

    scope_actions = {
        "staff": {"view", "add", "change", "delete", "view_personal"},
        "secretary": {"view", "add", "change", "view_personal"},
        "reader": set(),
    }

    name = models.CharField(_("name"), max_length=100, db_index=True)
    gender = models.CharField(_("gender"), max_length=10, choices=GenderChoices.choices)
    birth_date = models.DateField(_("birth date"))
    id_number = models.CharField(_("ID number"), max_length=18)
    phone = models.CharField(_("phone"), max_length=20, null=True, blank=True)
    organization = models.ForeignKey(
        "members.Organization", on_delete=models.PROTECT, related_name="members", verbose_name=_("organization")
    )
    status = models.CharField(_("status"), max_length=20, choices=MemberStatusChoices.choices)
    joined_on = models.DateField(_("joined on"))
    full_member_on = models.DateField(_("full member on"), null=True, blank=True)
    categories = ArrayField(
        models.CharField(max_length=20, choices=MemberCategoryChoices.choices),
        default=list,
        blank=True,
        verbose_name=_("categories"),
    )
    activity_status = models.CharField(
        _("activity status"),
        max_length=20,
        choices=ActivityStatusChoices.choices,
        default=ActivityStatusChoices.NORMAL,
    )
    enterprise = models.CharField(
        _("workplace credit code"),
        max_length=18,
        null=True,
        blank=True,
        db_index=True,
        help_text=_("Unified social credit code of the workplace; the enterprise registry joins on it."),
    )
    workplace = models.CharField(_("workplace"), max_length=200, blank=True)
    is_pocket = models.BooleanField(
        _("pocket member"), default=False, help_text=_("Keeps the relation letter instead of registering.")
    )
    left_on = models.DateField(_("left on"), null=True, blank=True)
    exit_reason = models.CharField(
        _("exit reason"), max_length=20, choices=ExitReasonChoices.choices, blank=True
    )

    objects = MemberQuerySet.as_manager()

    class Meta:
        ordering = ["organization__path", "name", "id"]
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"],
                condition=models.Q(left_on__isnull=True),
                name="member_unique_current_id_number",
                violation_error_message=_("Another current member already has this ID number."),
            ),
            models.CheckConstraint(
                condition=~models.Q(status="formal") | models.Q(full_member_on__isnull=False),
                name="member_formal_needs_full_member_on",
                violation_error_message=_("A formal member needs the date they became a full member."),
            ),
            models.CheckConstraint(
                condition=models.Q(left_on__isnull=True, exit_reason="")
                | models.Q(left_on__isnull=False) & ~models.Q(exit_reason=""),
                name="member_exit_needs_reason",
                violation_error_message=_("A member who left needs an exit reason, and only they have one."),
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status"], name="member_org_status"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_current(self):
        return self.left_on is None

    def record_exit(self, reason, on=None):
        """Take the member off the roster for ``reason`` (an ExitReasonChoices value); kept on record."""
        self.left_on = on or timezone.localdate()
        self.exit_reason = reason
        self.save(update_fields=["left_on", "exit_reason", "updated_at"])


pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    exclude=["updated_at"],
)(Member)
