"""Democratic appraisal of party members (民主评议党员): rounds, evaluation records, ratings, disposal.

The procedure (DOMAIN.md): every member writes a self-evaluation; members evaluate each other in
groups of at most 10, non-party representatives take part; the branch proposes a rating with a
reason; the branch's ratings are publicized in the unit (objections may be raised) and then
approved by a higher party committee, after which they are final. Unqualified members are
disposed of under written rules.
"""

import calendar
import datetime

import pghistory
import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appraisal.choices import (
    CorrectionOutcomeChoices,
    DisposalKindChoices,
    RatingChoices,
    RatingStatusChoices,
    RoundStatusChoices,
    WorkflowActionChoices,
)
from members.models.organizations import path_ancestors
from portal.models import ScopedModel, ScopedQuerySet
from portal.protections import FinalState, ReopenRule

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


class BranchEvaluation(ScopedModel):
    """The branch meeting's part of a round: how many non-party representatives took part (党外群众代表)."""

    scope_actions = APPRAISAL_ACTIONS

    round = models.ForeignKey(AppraisalRound, on_delete=models.CASCADE, related_name="branch_evaluations", verbose_name=_("round"))
    organization = models.ForeignKey(
        "members.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    non_party_representatives = models.PositiveIntegerField(_("non-party representatives"), default=0)
    meeting_held_on = models.DateField(_("branch meeting held on"), null=True, blank=True)

    class Meta:
        verbose_name = _("branch evaluation")
        verbose_name_plural = _("branch evaluations")
        constraints = [
            models.UniqueConstraint(fields=["round", "organization"], name="appraisal_branch_evaluation_once"),
        ]

    def __str__(self):
        return "{} / {}".format(self.round, self.organization)


class MutualEvaluationGroup(ScopedModel):
    """A mutual-evaluation group (互评小组) of at most 10 members, split off a branch by its secretary."""

    scope_actions = APPRAISAL_ACTIONS

    round = models.ForeignKey(AppraisalRound, on_delete=models.CASCADE, related_name="groups", verbose_name=_("round"))
    organization = models.ForeignKey(
        "members.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["organization__path", "name", "id"]
        verbose_name = _("mutual evaluation group")
        verbose_name_plural = _("mutual evaluation groups")
        constraints = [
            models.UniqueConstraint(fields=["round", "organization", "name"], name="appraisal_group_unique_name"),
        ]

    def __str__(self):
        return self.name


class Participant(ScopedModel):
    """A member taking part in a round, with the organization they belonged to at enrolment.

    Probationary members are appraised too, but marked as such. The self-evaluation (自我评价)
    is kept here; the group is the member's mutual-evaluation group.
    """

    scope_actions = APPRAISAL_ACTIONS

    round = models.ForeignKey(AppraisalRound, on_delete=models.CASCADE, related_name="participants", verbose_name=_("round"))
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="appraisal_participations", verbose_name=_("member"))
    organization = models.ForeignKey(
        "members.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organization at enrolment")
    )
    is_probationary = models.BooleanField(_("probationary member"), default=False)
    group = models.ForeignKey(
        MutualEvaluationGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="participants",
        verbose_name=_("mutual evaluation group"),
    )
    self_evaluation = models.TextField(_("self-evaluation"), blank=True)

    class Meta:
        ordering = ["organization__path", "member__name", "id"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["round", "member"], name="appraisal_participant_once"),
        ]
        indexes = [models.Index(fields=["round", "organization"], name="appraisal_participant_org")]
        triggers = [
            # The limit holds even for writes that skip clean(): the group row is locked first so
            # two concurrent additions cannot both see nine members.
            pgtrigger.Trigger(
                name="group_size_limit",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.UpdateOf("group_id"),
                condition=pgtrigger.Condition("NEW.group_id IS NOT NULL"),
                func="""
                    PERFORM 1 FROM appraisal_mutualevaluationgroup WHERE id = NEW.group_id FOR UPDATE;
                    IF (SELECT count(*) FROM appraisal_participant
                        WHERE group_id = NEW.group_id AND id <> NEW.id) >= {limit} THEN
                        RAISE EXCEPTION 'A mutual evaluation group has at most {limit} members.'
                            USING ERRCODE = 'check_violation';
                    END IF;
                    RETURN NEW;
                """.format(limit=GROUP_SIZE_LIMIT),
            ),
        ]

    def __str__(self):
        return "{} / {}".format(self.round, self.member)

    def clean(self):
        super().clean()
        if self.group_id is None:
            return
        group = self.group
        if group.round_id != self.round_id or group.organization_id != self.organization_id:
            raise ValidationError({"group": _("The group belongs to another round or organization.")})
        others = Participant.objects.filter(group_id=self.group_id).exclude(pk=self.pk).count()
        if others >= GROUP_SIZE_LIMIT:
            raise ValidationError(
                {"group": _("A mutual evaluation group has at most {limit} members.").format(limit=GROUP_SIZE_LIMIT)}
            )


class MutualEvaluationVote(ScopedModel):
    """The votes one participant received for one rating: from their group and from non-party representatives."""

    scope_actions = APPRAISAL_ACTIONS
    scope_organization = "participant__organization"

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="votes", verbose_name=_("participant"))
    rating = models.CharField(_("rating"), max_length=20, choices=RatingChoices.choices)
    group_votes = models.PositiveIntegerField(_("votes from group members"), default=0)
    non_party_votes = models.PositiveIntegerField(_("votes from non-party representatives"), default=0)

    class Meta:
        verbose_name = _("mutual evaluation vote")
        verbose_name_plural = _("mutual evaluation votes")
        constraints = [
            models.UniqueConstraint(fields=["participant", "rating"], name="appraisal_vote_once_per_rating"),
        ]

    def __str__(self):
        return "{}: {}".format(self.participant, self.get_rating_display())


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


class WorkflowStep(ScopedModel):
    """A recorded step of the ratings workflow: who moved which organization's ratings, when, how many."""

    scope_actions = {
        "staff": {"view"},
        "secretary": {"view"},
        "reader": set(),
    }

    round = models.ForeignKey(AppraisalRound, on_delete=models.PROTECT, related_name="workflow_steps", verbose_name=_("round"))
    organization = models.ForeignKey(
        "members.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    action = models.CharField(_("action"), max_length=20, choices=WorkflowActionChoices.choices)
    ratings_moved = models.PositiveIntegerField(_("ratings moved"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("workflow step")
        verbose_name_plural = _("workflow steps")

    def __str__(self):
        return "{} {}".format(self.organization, self.get_action_display())


class Reopening(ScopedModel):
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
    organization = models.ForeignKey(
        "members.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
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


class Objection(ScopedModel):
    """An objection (异议) raised against a member's rating while it is publicized; blocks approval until resolved."""

    scope_actions = APPRAISAL_ACTIONS

    round = models.ForeignKey(AppraisalRound, on_delete=models.CASCADE, related_name="objections", verbose_name=_("round"))
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+", verbose_name=_("member"))
    organization = models.ForeignKey(
        "members.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
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


# History triggers are statement-level (settings.PGHISTORY_LEVEL): a workflow step or an enrolment
# touches thousands of rows in one statement, and one INSERT ... SELECT from the transition table
# records them all (row-level triggers cost about a millisecond a row: 20 s for a city's ratings).
for tracked in (AppraisalRound, Participant, Rating, Objection, DisposalDecision, MutualEvaluationGroup):
    pghistory.track(
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
        exclude=["updated_at"],
    )(tracked)
