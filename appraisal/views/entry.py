"""Pages where a branch enters its records: ratings, mutual-evaluation groups, the evaluation record."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from appraisal import scoped_figures, services
from appraisal.choices import RatingChoices, RatingStatusChoices
from appraisal.forms import GroupForm
from appraisal.models import BranchEvaluation, MutualEvaluationGroup, Participant, Rating
from appraisal.services.entry import GROUP_LIMIT, save_group_grid, save_rating_grid
from appraisal.views.rounds import RoundScopedMixin
from portal import scope
from portal.views import generic
from portal.views.grid import EntryGridView, GridColumn
from portal.workflow import WorkflowConflict


class RoundGridView(EntryGridView):
    """An entry grid of one organization in one round (``<pk>/<page>/<code>/``): the round must be
    one the user sees and the organization inside it (404 otherwise)."""

    row_model = Participant
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

    def row_label(self, participant):
        return participant.member.name


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

    def get_row_objects(self, organization):
        participants = super().get_row_objects(organization)
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

    def row_key(self, participant):
        return participant.member_id

    def save_rows(self, organization, rows):
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

    def save_rows(self, organization, rows):
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


class EvaluationView(RoundScopedMixin, generic.View):
    """The branch's evaluation records: non-party representatives, each member's self-evaluation,
    the mutual-evaluation votes per rating, and the reason for the branch's proposed rating."""

    template_name = "appraisal/evaluation.html"

    def context(self, appraisal_round, organization, errors=None):
        participants = list(
            Participant.objects.filter(round=appraisal_round, organization=organization)
            .select_related("member")
            .prefetch_related("votes")
            .order_by("member__name", "pk")
        )
        ratings = {
            r.member_id: r
            for r in Rating.objects.filter(round=appraisal_round, member_id__in=[p.member_id for p in participants])
        }
        rows = []
        for participant in participants:
            votes = {vote.rating: vote for vote in participant.votes.all()}
            rows.append(
                {
                    "participant": participant,
                    "rating": ratings.get(participant.member_id),
                    "votes": [(value, label, votes.get(value)) for value, label in RatingChoices.choices],
                }
            )
        branch = BranchEvaluation.objects.filter(round=appraisal_round, organization=organization).first()
        return {
            "round": appraisal_round,
            "organization": organization,
            "rows": rows,
            "branch": branch,
            "choices": RatingChoices.choices,
            "may_change": scope.allows(self.request.user, "change", Participant, organization),
            "errors": errors or [],
        }

    def get(self, request, pk, code):
        appraisal_round = self.get_round()
        organization = self.get_organization(appraisal_round)
        return render(request, self.template_name, self.context(appraisal_round, organization))

    def post(self, request, pk, code):
        appraisal_round = self.get_round()
        organization = self.get_organization(appraisal_round)
        try:
            services.save_evaluation(appraisal_round, request.user, organization, request.POST)
        except ValidationError as error:
            return render(
                request, self.template_name, self.context(appraisal_round, organization, error.messages), status=400
            )
        messages.success(request, _("Evaluation records saved."))
        return HttpResponseRedirect(reverse("appraisal:evaluation", args=[appraisal_round.pk, organization.code]))
