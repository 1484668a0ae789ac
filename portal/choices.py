"""Named choices of the shared core."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RoleChoices(models.TextChoices):
    """What a user may do over an organization's subtree (API.md "Users and roles")."""

    CITY_ADMIN = "city_admin", _("City administrator")
    STAFF = "staff", _("Organization department staff")
    SECRETARY = "secretary", _("Branch secretary")
    READER = "reader", _("Statistics reader")
