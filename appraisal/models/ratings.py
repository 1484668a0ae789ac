"""Ratings and their workflow: the proposed rating, each workflow step, reopenings and objections."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appraisal.choices import RatingChoices, RatingStatusChoices, WorkflowActionChoices
from appraisal.models.rounds import APPRAISAL_ACTIONS, AppraisalRound
from portal.models import ScopedModel
from portal.models.mixins import OrganizationOwned, audited
from portal.protections import FinalState, ReopenRule


@audited()
class Rating(ScopedModel):
    """The rating of one member in one round: proposed by the branch, publicized, approved by a higher committee.

    ``organization`` is the member's organization when the rating was entered; statistics count
    the rating there even if the member moves later. Once approved, a database trigger refuses
    every change and deletion; only a city administrator's recorded reopening goes back.
    """

    scope_actions = APPRAISAL_ACTIONS

    round = models.ForeignKey(AppraisalRound, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("round"))
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="appraisal_ratings", verbose_name=_("member"))
    organization = models.ForeignKey(
        "members.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organization when entered")
    )
    rating = models.CharField(_("rating"), max_length=20, choices=RatingChoices.choices)
    reason = models.TextField(_("reason"), blank=True, help_text=_("Why the branch proposes this rating."))
    status = models.CharField(
        _("status"), max_length=20, choices=RatingStatusChoices.choices, default=RatingStatusChoices.DRAFT
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("entered by")
    )
    publicized_on = models.DateField(_("publicized on"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("approved by")
    )

    class Meta:
        ordering = ["organization__path", "member__name", "id"]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.UniqueConstraint(fields=["round", "member"], name="appraisal_rating_once_per_round"),
            models.CheckConstraint(
                condition=Q(rating__in=RatingChoices.values), name="appraisal_rating_known_rating"
            ),
            models.CheckConstraint(
                condition=Q(status__in=RatingStatusChoices.values), name="appraisal_rating_known_status"
            ),
        ]
        indexes = [
            models.Index(fields=["round", "organization", "status"], name="appraisal_rating_org_status"),
        ]

    # Approved ratings are final, whatever the path: ORM, queryset update, admin or raw SQL, and
    # whatever a session sets (portal.protections installs the trigger). The only way back is a
    # city administrator's reopening (services.reopen): the ratings of the reopened organization's
    # subtree return to draft, unchanged otherwise, under a Reopening recorded in the same transaction.
    final_state = FinalState(
        field="status",
        values=(RatingStatusChoices.APPROVED,),
        reopen=ReopenRule(
            to=RatingStatusChoices.DRAFT,
            may_change=("publicized_on", "approved_at", "approved_by", "updated_at"),
            recorded_by="appraisal.Reopening",
            matching="""
                reopening.round_id = OLD.round_id
                AND starts_with(
                    (SELECT path FROM members_organization WHERE id = OLD.organization_id),
                    (SELECT path FROM members_organization WHERE id = reopening.organization_id)
                )
            """,
        ),
        message="An approved rating is final and cannot be changed or deleted (rating %).",
    )

    def __str__(self):
        return "{}: {}".format(self.member, self.get_rating_display())

    @property
    def is_final(self):
        return self.status == RatingStatusChoices.APPROVED


class WorkflowStep(OrganizationOwned, ScopedModel):
    """A recorded step of the ratings workflow: who moved which organization's ratings, when, how many."""

    scope_actions = {
        "staff": {"view"},
        "secretary": {"view"},
        "reader": set(),
    }

    round = models.ForeignKey(AppraisalRound, on_delete=models.PROTECT, related_name="workflow_steps", verbose_name=_("round"))
    action = models.CharField(_("action"), max_length=20, choices=WorkflowActionChoices.choices)
    ratings_moved = models.PositiveIntegerField(_("ratings moved"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("workflow step")
        verbose_name_plural = _("workflow steps")

    def __str__(self):
        return "{} {}".format(self.organization, self.get_action_display())


class Reopening(OrganizationOwned, ScopedModel):
    """A city administrator's reopening of an organization's approved ratings, with the written reason.

    The record is what lets the database move approved ratings back to draft (``Rating.final_state``),
    so it can never be changed or removed (``append_only``); the database stamps ``transaction_id``
    with the transaction that inserted it, the only one it authorizes.
    """

    append_only = True

    scope_actions = {
        "staff": {"view"},
        "secretary": {"view"},
        "reader": set(),
    }

    round = models.ForeignKey(AppraisalRound, on_delete=models.PROTECT, related_name="reopenings", verbose_name=_("round"))
    reason = models.TextField(_("reason"))
    ratings_reopened = models.PositiveIntegerField(_("ratings reopened"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    transaction_id = models.BigIntegerField(_("database transaction"), null=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("reopening")
        verbose_name_plural = _("reopenings")
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="appraisal_reopening_needs_reason"),
        ]

    def __str__(self):
        return "{} / {}".format(self.round, self.organization)


@audited()
class Objection(OrganizationOwned, ScopedModel):
    """An objection (异议) raised against a member's rating while it is publicized; blocks approval until resolved."""

    scope_actions = APPRAISAL_ACTIONS

    round = models.ForeignKey(AppraisalRound, on_delete=models.CASCADE, related_name="objections", verbose_name=_("round"))
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+", verbose_name=_("member"))
    raised_on = models.DateField(_("raised on"), default=timezone.localdate)
    text = models.TextField(_("objection"))
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)

    class Meta:
        ordering = ["resolved_on", "-raised_on", "-id"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True) | ~Q(resolution=""),
                name="appraisal_objection_resolution_text",
                violation_error_message=_("Say how the objection was resolved."),
            ),
        ]

    def __str__(self):
        return "{}: {}".format(self.member, self.text[:40])

    @property
    def is_resolved(self):
        return self.resolved_on is not None
