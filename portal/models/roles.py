"""Role assignments: who may do what over which part of the organization tree."""

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.choices import RoleChoices


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class RoleAssignment(models.Model):
    """A user's role over one organization's subtree (the whole system for a city administrator)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=RoleChoices.choices)
    organization = models.ForeignKey(
        "members.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("organization"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "organization"], name="unique_role_assignment", nulls_distinct=False
            ),
            models.CheckConstraint(
                condition=models.Q(role=RoleChoices.CITY_ADMIN) | models.Q(organization__isnull=False),
                name="role_needs_organization",
                violation_error_message=_("Every role but city administrator needs an organization."),
            ),
        ]

    def __str__(self):
        if self.organization_id is None:
            return "{}: {}".format(self.user, self.get_role_display())
        return "{}: {} @ {}".format(self.user, self.get_role_display(), self.organization)

    def clean(self):
        if self.role != RoleChoices.CITY_ADMIN and self.organization_id is None:
            raise ValidationError({"organization": _("Every role but city administrator needs an organization.")})
