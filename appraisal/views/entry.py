"""Pages where a branch enters its records: ratings, mutual-evaluation groups, the evaluation record."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from appraisal import scoped_figures, services
from appraisal.choices import RatingChoices, RatingStatusChoices
from appraisal.forms import GroupForm
from appraisal.models import BranchEvaluation, MutualEvaluationGroup, Participant, Rating
from appraisal.views.rounds import RoundScopedMixin, _error_text
from portal import scope
from portal.views import generic


class EntryView(RoundScopedMixin, generic.View):
    """The secretary's grid: every participant of one branch, a rating each, saved all at once.

    The grid posts the same rows the bulk API takes, through the same service, so the rules
    (all or nothing, approved is final, scope) are the API's.
    """

    template_name = "appraisal/entry.html"

    def context(self, appraisal_round, organization, posted=None):
        participants = list(
            Participant.objects.filter(round=appraisal_round, organization=organization)
            .select_related("member")
            .order_by("member__name", "pk")
        )
        ratings = {
            r.member_id: r
            for r in Rating.objects.filter(round=appraisal_round, member_id__in=[p.member_id for p in participants])
        }
        rows = []
        for index, participant in enumerate(participants):
            rating = ratings.get(participant.member_id)
            value = (posted or {}).get(participant.member_id) or (rating.rating if rating else "")
            rows.append(
                {
                    "index": index,
                    "participant": participant,
                    "rating": rating,
                    "value": value,
                    "final": bool(rating and rating.is_final),
                }
            )
        statuses = {}
        for rating in ratings.values():
            statuses[rating.status] = statuses.get(rating.status, 0) + 1
        # The round's counts, so the page can warn when the outstanding share is too high: over the
        # whole round only for those whose scope covers it, otherwise over the user's own part.
        round_counts = scoped_figures.rating_counts(appraisal_round, self.request.user)
        may_change = scope.allows(self.request.user, "change", Rating, organization)
        return {
            "round": appraisal_round,
            "organization": organization,
            "rows": rows,
            "choices": RatingChoices.choices,
            "statuses": [(label, statuses.get(value, 0)) for value, label in RatingStatusChoices.choices],
            "may_change": may_change,
            "may_submit": may_change and statuses.get(RatingStatusChoices.DRAFT, 0) > 0,
            "warning_percent": round(float(appraisal_round.outstanding_warning_share) * 100, 1),
            "covers_round": scoped_figures.covers_round(self.request.user, appraisal_round),
            "grid_config": {
                "warningShare": float(appraisal_round.outstanding_warning_share),
                "roundCounts": {value: round_counts.get(value, 0) for value in RatingChoices.values},
                "branchSaved": {
                    value: sum(1 for r in ratings.values() if r.rating == value) for value in RatingChoices.values
                },
            },
        }

    def get(self, request, pk, code):
        appraisal_round = self.get_round()
        organization = self.get_organization(appraisal_round)
        return render(request, self.template_name, self.context(appraisal_round, organization))

    def post(self, request, pk, code):
        appraisal_round = self.get_round()
        organization = self.get_organization(appraisal_round)
        posted = {}
        for key, value in request.POST.items():
            if key.startswith("rating-") and value:
                try:
                    posted[int(key[len("rating-"):])] = value
                except ValueError:
                    continue
        rows = [{"member": member_id, "rating": value} for member_id, value in posted.items()]
        try:
            saved = services.save_ratings(appraisal_round, request.user, rows)
        except services.WorkflowConflict as error:
            messages.error(request, error.message)
            return render(request, self.template_name, self.context(appraisal_round, organization, posted), status=409)
        except ValidationError as error:
            messages.error(request, _error_text(error))
            return render(request, self.template_name, self.context(appraisal_round, organization, posted), status=400)
        messages.success(request, _("Saved {count} ratings.").format(count=saved))
        return HttpResponseRedirect(reverse("appraisal:entry", args=[appraisal_round.pk, organization.code]))


class GroupsView(RoundScopedMixin, generic.View):
    """Mutual-evaluation groups of one branch: create groups of at most 10 and place members in them."""

    template_name = "appraisal/groups.html"

    def context(self, appraisal_round, organization, form=None):
        participants = list(
            Participant.objects.filter(round=appraisal_round, organization=organization)
            .select_related("member", "group")
            .order_by("member__name", "pk")
        )
        groups = list(
            MutualEvaluationGroup.objects.filter(round=appraisal_round, organization=organization).annotate(
                size=Count("participants")
            )
        )
        return {
            "round": appraisal_round,
            "organization": organization,
            "participants": participants,
            "groups": groups,
            "form": form or GroupForm(),
            "may_change": scope.allows(self.request.user, "change", MutualEvaluationGroup, organization),
            "limit": 10,
        }

    def get(self, request, pk, code):
        appraisal_round = self.get_round()
        organization = self.get_organization(appraisal_round)
        return render(request, self.template_name, self.context(appraisal_round, organization))

    def post(self, request, pk, code):
        appraisal_round = self.get_round()
        organization = self.get_organization(appraisal_round)
        if not scope.allows(request.user, "change", MutualEvaluationGroup, organization):
            raise PermissionDenied(_("You may not change the groups of this organization."))
        form = None
        try:
            with transaction.atomic():
                if request.POST.get("action") == "create":
                    form = GroupForm(request.POST)
                    if not form.is_valid():
                        return render(request, self.template_name, self.context(appraisal_round, organization, form), status=400)
                    MutualEvaluationGroup.objects.create(
                        round=appraisal_round, organization=organization, name=form.cleaned_data["name"]
                    )
                    form = None
                else:
                    self._assign(appraisal_round, organization, request.POST)
        except ValidationError as error:
            messages.error(request, _error_text(error))
            return render(request, self.template_name, self.context(appraisal_round, organization, form), status=400)
        messages.success(request, _("Groups saved."))
        return HttpResponseRedirect(reverse("appraisal:groups", args=[appraisal_round.pk, organization.code]))

    def _assign(self, appraisal_round, organization, data):
        groups = {
            str(group.pk): group
            for group in MutualEvaluationGroup.objects.select_for_update().filter(round=appraisal_round, organization=organization)
        }
        participants = list(Participant.objects.filter(round=appraisal_round, organization=organization).select_for_update())
        # Take everyone out first, then place them, so moving members between full groups works.
        changed = []
        for participant in participants:
            wanted = data.get("group-{}".format(participant.pk))
            if wanted is None:
                continue
            group = groups.get(wanted)
            if wanted and group is None:
                raise ValidationError(_("Unknown group."))
            changed.append((participant, group))
        Participant.objects.filter(pk__in=[p.pk for p, _g in changed]).update(group=None)
        sizes = dict(
            Participant.objects.filter(group__in=groups.values()).values_list("group_id").annotate(n=Count("pk"))
        )
        for participant, group in changed:
            if group is None:
                continue
            sizes[group.pk] = sizes.get(group.pk, 0) + 1
            if sizes[group.pk] > 10:
                raise ValidationError(
                    _("Group {name} would have more than {limit} members.").format(name=group.name, limit=10)
                )
        for participant, group in changed:
            if group is not None:
                Participant.objects.filter(pk=participant.pk).update(group=group)


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
