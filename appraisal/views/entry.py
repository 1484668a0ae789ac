"""Pages where a branch enters its records: ratings, mutual-evaluation groups, the evaluation record."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Prefetch
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from appraisal import scoped_figures, services
from appraisal.choices import RatingChoices, RatingStatusChoices
from appraisal.forms import GroupForm
from appraisal.models import BranchEvaluation, MutualEvaluationGroup, MutualEvaluationVote, Participant, Rating
from appraisal.services.entry import GROUP_LIMIT, save_evaluation_grid, save_group_grid, save_rating_grid
from portal import scope
from portal.views.grid import EntryGridView, GridColumn
from portal.workflow import WorkflowConflict


class RoundGridView(EntryGridView):
    """An entry grid of one organization in one round (``<pk>/<page>/<code>/``): the round must be
    one the user sees and the organization inside it (404 otherwise)."""

    row_model = Participant
    row_header = _lazy("Member")
    conflict_exceptions = (WorkflowConflict, services.WorkflowConflict)

    @classmethod
    def may_open(cls, user):
        # Secretaries have no role on the round's committee but may open the rounds covering them.
        return scope.may_ever(user, "view", Rating)

    def get_organization(self):
        self.round = services.get_round_or_404(self.request.user, self.kwargs["pk"])
        return services.get_organization_or_404(self.request.user, self.kwargs["code"], self.round)

    def row_queryset(self, organization):
        return (
            Participant.objects.filter(round=self.round, organization=organization)
            .select_related("member")
            .order_by("member__name", "pk")
        )

    # Whether each row carries its member's rating of the round (``current_rating``).
    with_ratings = False

    def row_label(self, participant):
        return participant.member.name

    def get_row_objects(self, organization):
        participants = super().get_row_objects(organization)
        if self.with_ratings:
            ratings = {
                rating.member_id: rating
                for rating in scope.restrict(
                    Rating.objects.filter(round=self.round, member_id__in=[p.member_id for p in participants]),
                    self.request.user,
                    "view",
                )
            }
            for participant in participants:
                participant.current_rating = ratings.get(participant.member_id)
        return participants


def _rating_value(participant):
    return participant.current_rating.rating if participant.current_rating else None


def _rating_locked(participant):
    # Past draft a rating changes only when the higher committee sends it back (issue 13).
    return bool(participant.current_rating and participant.current_rating.status != RatingStatusChoices.DRAFT)


class EntryView(RoundGridView):
    """The secretary's grid: every participant of one branch, a rating each, saved all at once.

    The grid posts the same rows the bulk API takes, through the same service, so the rules
    (all or nothing, no change past draft, scope) are the API's.
    """

    action_model = Rating
    with_ratings = True
    columns = [
        GridColumn(
            "rating", _lazy("Rating"), kind="choice", choices=RatingChoices.choices, value=_rating_value, disabled=_rating_locked
        )
    ]
    template_name = "appraisal/entry.html"
    region_template_name = "appraisal/entry_region.html"
    grid_id = "entry-grid"
    grid_form_id = "entry-form"
    grid_save_id = "save-ratings"
    grid_help_id = "entry-help"
    grid_row_class = "entry-row"
    grid_choice_class = "rating-choice"
    save_label = _lazy("Save all ratings")
    keyboard_help = _lazy(
        "Keys: 1 outstanding, 2 qualified, 3 basically qualified, 4 unqualified (then on to the next member); "
        "↑ ↓ move between members; ← → change the rating; Tab moves on; Save stores all rows at once."
    )

    def row_key(self, participant):
        return participant.member_id

    def save_rows(self, organization, rows, header=None):
        return save_rating_grid(self.round, self.request.user, rows)

    def get_extra_context(self, organization, rows, may_change):
        ratings = [row.object.current_rating for row in rows if row.object.current_rating]
        statuses = {}
        for rating in ratings:
            statuses[rating.status] = statuses.get(rating.status, 0) + 1
        # The round's counts, so the page can warn when the outstanding share is too high: over the
        # whole round only for those whose scope covers it, otherwise over the user's own part.
        round_counts = scoped_figures.rating_counts(self.round, self.request.user)
        appraisal_round = self.round
        return {
            "round": appraisal_round,
            "choices": RatingChoices.choices,
            "statuses": [(label, statuses.get(value, 0)) for value, label in RatingStatusChoices.choices],
            "may_submit": may_change and statuses.get(RatingStatusChoices.DRAFT, 0) > 0,
            "warning_percent": round(float(appraisal_round.outstanding_warning_share) * 100, 1),
            "covers_round": scoped_figures.covers_round(self.request.user, appraisal_round),
            "grid_config": {
                "warningShare": float(appraisal_round.outstanding_warning_share),
                "roundCounts": {value: round_counts.get(value, 0) for value in RatingChoices.values},
                "branchSaved": {value: sum(1 for r in ratings if r.rating == value) for value in RatingChoices.values},
            },
        }


def _group_choices(view, organization):
    return [(group.pk, group.name) for group in view.groups]


class GroupsView(RoundGridView):
    """Mutual-evaluation groups of one branch: create groups of at most 10 and place members in them."""

    action_model = MutualEvaluationGroup
    columns = [GridColumn("group", _lazy("Group"), kind="choice", widget="select", choices=_group_choices, value="group_id")]
    template_name = "appraisal/groups.html"
    region_template_name = "appraisal/groups_region.html"
    grid_id = "group-table"
    save_label = _lazy("Save groups")

    def get_columns(self, organization):
        self.groups = list(
            scope.restrict(
                MutualEvaluationGroup.objects.filter(round=self.round, organization=organization), self.request.user, "view"
            ).annotate(size=Count("participants")).order_by("name", "pk")
        )
        return super().get_columns(organization)

    def save_rows(self, organization, rows, header=None):
        return save_group_grid(self.round, organization, self.request.user, rows)

    def get_extra_context(self, organization, rows, may_change):
        return {"round": self.round, "groups": self.groups, "form": getattr(self, "form", None) or GroupForm(), "limit": GROUP_LIMIT}

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") != "create":
            return super().post(request, *args, **kwargs)
        organization = self.get_organization()
        if not self.may_change(organization):
            raise PermissionDenied(_("You may not change the groups of this organization."))
        self.form = GroupForm(request.POST)
        if not self.form.is_valid():
            return self.render_grid(organization, status=400)
        with transaction.atomic():
            MutualEvaluationGroup.objects.create(round=self.round, organization=organization, name=self.form.cleaned_data["name"])
        messages.success(request, _("Groups saved."))
        return HttpResponseRedirect(reverse("appraisal:groups", args=[self.round.pk, organization.code]))


def _vote_columns():
    """Per rating, the votes from the member's group and from the non-party representatives."""
    columns = []
    for value, label in RatingChoices.choices:
        for source, source_label in (("group", _lazy("votes from group members")), ("non_party", _lazy("votes from non-party representatives"))):
            columns.append(
                GridColumn(
                    "votes_{}_{}".format(value, source),
                    source_label,
                    kind="int",
                    group=label,
                    width="narrow",
                    input_class="vote-input",
                    name_format="votes-{key}-" + value + "-" + source,
                    value=lambda participant, key=(value, source): participant.vote_counts.get(key) or None,
                )
            )
    return columns


class EvaluationView(RoundGridView):
    """The branch's evaluation records: non-party representatives, each member's self-evaluation,
    the mutual-evaluation votes per rating, and the reason for the branch's proposed rating."""

    header_columns = [
        GridColumn("non_party_representatives", _lazy("Non-party representatives"), kind="int", name_format="{name}"),
        GridColumn("meeting_held_on", _lazy("Branch meeting held on"), kind="date", name_format="{name}"),
    ]
    columns = [
        GridColumn("self", _lazy("Self-evaluation"), kind="text", widget="textarea", width="wide", value="self_evaluation"),
        *_vote_columns(),
        GridColumn(
            "reason",
            _lazy("Proposed rating and reason"),
            kind="text",
            widget="textarea",
            width="wide",
            name_format="reason-{row.member_id}",
            value="current_rating__reason",
            applies=lambda participant: participant.current_rating is not None,
            absent_text=_lazy("Not rated yet"),
            disabled=lambda participant: participant.current_rating.is_final,
        ),
    ]
    template_name = "appraisal/evaluation.html"
    region_template_name = "appraisal/evaluation_region.html"
    grid_form_id = "evaluation-form"
    grid_id = "evaluation-grid"
    save_label = _lazy("Save evaluation records")

    def row_queryset(self, organization):
        votes = scope.restrict(MutualEvaluationVote.objects.all(), self.request.user, "view")
        return super().row_queryset(organization).prefetch_related(Prefetch("votes", queryset=votes))

    with_ratings = True

    def get_row_objects(self, organization):
        participants = super().get_row_objects(organization)
        for participant in participants:
            participant.vote_counts = {}
            for vote in participant.votes.all():
                participant.vote_counts[(vote.rating, "group")] = vote.group_votes
                participant.vote_counts[(vote.rating, "non_party")] = vote.non_party_votes
        return participants

    def get_header_object(self, organization):
        return (
            scope.restrict(BranchEvaluation.objects.filter(round=self.round, organization=organization), self.request.user, "view")
            .first()
        )

    def save_rows(self, organization, rows, header=None):
        return save_evaluation_grid(self.round, organization, self.request.user, rows, header or {})

    def get_extra_context(self, organization, rows, may_change):
        return {"round": self.round}

    def context(self, organization, **kwargs):
        context = super().context(organization, **kwargs)
        # Every message of a refused save in one list, as the page has always kept them.
        context["errors"] = context["grid_messages"]
        return context
