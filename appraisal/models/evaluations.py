"""Evaluation records of a round: the branch's evaluation, mutual-evaluation groups, participants and their votes."""

import pgtrigger
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from appraisal.choices import RatingChoices
from appraisal.models.rounds import APPRAISAL_ACTIONS, AppraisalRound, GROUP_SIZE_LIMIT
from portal.models import ScopedModel
from portal.models.mixins import OrganizationOwned, audited


class BranchEvaluation(OrganizationOwned, ScopedModel):
    """The branch meeting's part of a round: how many non-party representatives took part (党外群众代表)."""

    scope_actions = APPRAISAL_ACTIONS

    round = models.ForeignKey(AppraisalRound, on_delete=models.CASCADE, related_name="branch_evaluations", verbose_name=_("round"))
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


@audited()
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


@audited()
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
