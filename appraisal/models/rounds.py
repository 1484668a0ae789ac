"""Appraisal rounds: who holds a democratic appraisal, over which subtree, and when."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appraisal.choices import RoundStatusChoices
from members.models.organizations import path_ancestors
from portal.models import ScopedModel
from portal.models.mixins import audited

GROUP_SIZE_LIMIT = 10
DEFAULT_CORRECTION_MONTHS = 6
MAX_CORRECTION_MONTHS = 12

# Secretaries enter ratings and evaluation records of their own branch; staff do everything in
# their subtree, including approving what lies below their own organization.
APPRAISAL_ACTIONS = {
    "staff": {"view", "add", "change", "delete", "view_personal", "approve"},
    "secretary": {"view", "add", "change", "view_personal"},
    "reader": set(),
}


@audited()
class AppraisalRound(ScopedModel):
    """One democratic appraisal (民主评议) held by an organization over its whole subtree.

    Opening a round enrolls every current formal and probationary member of the subtree as a
    participant; members who join later are added one by one.
    """

    scope_actions = {
        "staff": {"view", "add", "change", "delete"},
        "secretary": {"view"},
        "reader": set(),
    }

    @classmethod
    def scope_extra(cls, user_scope, action):
        """A round is held by a committee and covers its whole subtree: besides the rounds inside
        their scope, a user sees those held at or above the organizations where they may see
        ratings (a branch secretary sees the city committee's round)."""
        if action != "view":
            return None
        from appraisal.models.ratings import Rating  # ratings.py imports this module

        covering_paths = set()
        for grant in user_scope.grants:
            if "view" in Rating.scope_actions.get(grant.role, ()):
                covering_paths.update(path_ancestors(grant.path))
                covering_paths.add(grant.path)
        return Q(organization__path__in=sorted(covering_paths)) if covering_paths else None

    name = models.CharField(_("name"), max_length=200)
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(1921), MaxValueValidator(2100)]
    )
    organization = models.ForeignKey(
        "members.Organization",
        on_delete=models.PROTECT,
        related_name="appraisal_rounds",
        verbose_name=_("organization"),
        help_text=_("The round covers this organization and everything below it."),
    )
    # The education campaign app comes later; it resolves this id through its own registry
    # (apps never import each other), so this is a plain nullable reference, not a foreign key.
    campaign_id = models.PositiveBigIntegerField(
        _("education campaign"), null=True, blank=True, help_text=_("The education campaign this round belongs to, if any.")
    )
    opens_on = models.DateField(_("opens on"), default=timezone.localdate)
    closes_on = models.DateField(_("closes on"), null=True, blank=True)
    publicity_days = models.PositiveSmallIntegerField(
        _("publicity period (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("How long the branch's ratings are publicized in the unit before they can be approved."),
    )
    outstanding_warning_share = models.DecimalField(
        _("outstanding share warning level"),
        max_digits=4,
        decimal_places=3,
        default="0.200",
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("A warning (not a block) is shown when the share of outstanding ratings is above this fraction."),
    )
    status = models.CharField(_("status"), max_length=10, choices=RoundStatusChoices.choices, default=RoundStatusChoices.OPEN)


    class Meta:
        ordering = ["-year", "-opens_on", "-id"]
        verbose_name = _("appraisal round")
        verbose_name_plural = _("appraisal rounds")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__isnull=True) | Q(closes_on__gte=models.F("opens_on")),
                name="appraisal_round_closes_after_opening",
                violation_error_message=_("A round cannot close before it opens."),
            ),
            models.CheckConstraint(
                condition=Q(outstanding_warning_share__gte=0, outstanding_warning_share__lte=1),
                name="appraisal_round_warning_share_fraction",
                violation_error_message=_("The warning level is a fraction between 0 and 1."),
            ),
        ]

    def __str__(self):
        return "{} ({})".format(self.name, self.year)

    def get_absolute_url(self):
        return reverse("appraisal:round_detail", args=[self.pk])

    def clean(self):
        super().clean()
        if self.closes_on and self.opens_on and self.closes_on < self.opens_on:
            raise ValidationError({"closes_on": _("A round cannot close before it opens.")})
