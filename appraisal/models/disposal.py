"""Disposal of members rated unqualified (不合格党员处置)."""

import calendar
import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appraisal.choices import CorrectionOutcomeChoices, DisposalKindChoices, RatingChoices
from appraisal.models.ratings import Rating
from appraisal.models.rounds import APPRAISAL_ACTIONS, DEFAULT_CORRECTION_MONTHS, MAX_CORRECTION_MONTHS
from portal.models import ScopedModel, ScopedQuerySet
from portal.models.mixins import audited


def add_months(day, months):
    """``day`` plus ``months`` calendar months (the last day of a shorter month when needed)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class DisposalDecisionQuerySet(ScopedQuerySet):
    def due(self, today=None, within_days=30):
        """Decisions whose next step is due within ``within_days`` or overdue.

        A limited-time correction is due for review on its review date; any decision not yet
        approved by the higher committee is due once its rating has been approved.
        """
        today = today or timezone.localdate()
        horizon = today + datetime.timedelta(days=within_days)
        review_due = Q(
            kind=DisposalKindChoices.LIMITED_CORRECTION,
            review_on__lte=horizon,
            review_outcome=CorrectionOutcomeChoices.PENDING,
        )
        return self.filter(review_due | Q(committee_approved_on__isnull=True))


@audited()
class DisposalDecision(ScopedModel):
    """What happens to a member rated unqualified (不合格党员处置), with the procedure's dates.

    A limited-time correction (限期改正) lasts 6 months by default and at most 12, and ends with
    a review; persuasion to withdraw (劝退) and removal (除名) take the member off the roster
    (``Member.record_exit``) once the higher committee approves.
    """

    scope_actions = APPRAISAL_ACTIONS

    rating = models.OneToOneField(Rating, on_delete=models.PROTECT, related_name="disposal", verbose_name=_("rating"))
    organization = models.ForeignKey(
        "members.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    kind = models.CharField(_("disposal"), max_length=30, choices=DisposalKindChoices.choices)
    correction_months = models.PositiveSmallIntegerField(
        _("correction period (months)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CORRECTION_MONTHS)],
    )
    review_on = models.DateField(_("review on"), null=True, blank=True)
    review_outcome = models.CharField(
        _("review outcome"), max_length=20, choices=CorrectionOutcomeChoices.choices, default=CorrectionOutcomeChoices.PENDING
    )
    talk_held_on = models.DateField(_("talk held on"), null=True, blank=True)
    branch_meeting_on = models.DateField(_("branch meeting on"), null=True, blank=True)
    votes_for = models.PositiveIntegerField(_("votes for"), null=True, blank=True)
    votes_against = models.PositiveIntegerField(_("votes against"), null=True, blank=True)
    votes_abstaining = models.PositiveIntegerField(_("abstentions"), null=True, blank=True)
    committee_approved_on = models.DateField(_("approved by the higher committee on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = DisposalDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["review_on", "id"]
        verbose_name = _("disposal decision")
        verbose_name_plural = _("disposal decisions")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="limited_correction")
                | Q(correction_months__gte=1, correction_months__lte=MAX_CORRECTION_MONTHS),
                name="appraisal_disposal_correction_months",
                violation_error_message=_("A limited-time correction lasts between 1 and 12 months."),
            ),
        ]

    def __str__(self):
        return "{}: {}".format(self.rating.member, self.get_kind_display())

    def get_absolute_url(self):
        return reverse("appraisal:disposal_edit", args=[self.pk])

    def clean(self):
        super().clean()
        errors = {}
        if self.rating_id and self.rating.rating != RatingChoices.UNQUALIFIED:
            errors["rating"] = _("Only an unqualified rating is disposed of.")
        if self.kind == DisposalKindChoices.LIMITED_CORRECTION:
            if self.correction_months is None:
                self.correction_months = DEFAULT_CORRECTION_MONTHS
            if not 1 <= self.correction_months <= MAX_CORRECTION_MONTHS:
                errors["correction_months"] = _("A limited-time correction lasts between 1 and 12 months.")
            elif self.review_on is None:
                start = self.committee_approved_on or self.branch_meeting_on or timezone.localdate()
                self.review_on = add_months(start, self.correction_months)
        else:
            self.correction_months = None
            self.review_on = None
        if None not in (self.branch_meeting_on, self.talk_held_on) and self.branch_meeting_on < self.talk_held_on:
            errors["branch_meeting_on"] = _("The branch meeting comes after the talk with the member.")
        if self.committee_approved_on and self.rating_id and not self.rating.is_final:
            errors["committee_approved_on"] = _("The higher committee decides once the rating itself is approved.")
        elif self.committee_approved_on and self.branch_meeting_on is None:
            errors["committee_approved_on"] = _("The higher committee approves after the branch meeting has voted.")
        if self.branch_meeting_on and self.votes_for is None:
            errors["votes_for"] = _("Record the branch meeting's vote.")
        if errors:
            raise ValidationError(errors)

    @property
    def removes_member(self):
        return self.kind in (DisposalKindChoices.PERSUADED_TO_WITHDRAW, DisposalKindChoices.REMOVAL)
