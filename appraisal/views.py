"""Pages of the democratic appraisal: rounds, the branch entry grid, groups, workflow, objections, disposal, report."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisal import report, scoped_figures, services
from appraisal.choices import RatingChoices, RatingStatusChoices, WorkflowActionChoices
from appraisal.filtersets import AppraisalRoundFilterSet, DisposalDecisionFilterSet
from appraisal.forms import AppraisalRoundForm, DisposalDecisionForm, GroupForm
from appraisal.models import (
    AppraisalRound,
    BranchEvaluation,
    DisposalDecision,
    MutualEvaluationGroup,
    Objection,
    Participant,
    Rating,
)
from appraisal.tables import AppraisalRoundTable, DisposalDecisionTable
from members.models import Member, Organization
from portal import scope
from portal.views import generic
from portal.views.redirects import safe_next


def _error_text(error):
    if hasattr(error, "message_dict"):
        return " ".join(str(m) for messages_ in error.message_dict.values() for m in messages_)
    return " ".join(str(m) for m in error.messages)


class RoundScopedMixin(generic.ScopedViewMixin):
    """A page about one round the user may see (rounds above a branch are visible to its secretary)."""

    queryset = AppraisalRound.objects.all()

    def get_round(self):
        return services.get_round_or_404(self.request.user, self.kwargs["pk"])

    def get_organization(self, appraisal_round):
        return services.get_organization_or_404(self.request.user, self.kwargs["code"], appraisal_round)

    def dispatch(self, request, *args, **kwargs):
        # Secretaries have no role on the round's committee but may open the rounds covering them.
        if request.user.is_authenticated and not scope.may_ever(request.user, "view", Rating):
            raise PermissionDenied(_("Your role does not give access to this page."))
        return super(generic.ScopedViewMixin, self).dispatch(request, *args, **kwargs)


class RoundListView(RoundScopedMixin, generic.ObjectListView):
    queryset = AppraisalRound.objects.select_related("organization").order_by("-year", "-opens_on", "-id")
    filterset_class = AppraisalRoundFilterSet
    table_class = AppraisalRoundTable
    create_url_name = "appraisal:round_add"

    def get_restricted_queryset(self, action="view"):
        rounds = scope.restrict(self.queryset.all(), self.request.user, "view")
        # A secretary sees the city's round, but only their branch's participants in it.
        return scoped_figures.with_participant_count(rounds, self.request.user)


class RoundEditView(generic.ObjectEditView):
    """Create a round (its members are enrolled at once) or change its dates and levels."""

    queryset = AppraisalRound.objects.all()
    form_class = AppraisalRoundForm

    def get_object(self, action="view", lock=False):
        # Visible (a round covering the user's organizations) but not theirs to change: 403, not 404.
        appraisal_round = services.get_round_or_404(self.request.user, self.kwargs["pk"])
        if not scope.allows(self.request.user, action, AppraisalRound, appraisal_round.organization):
            raise PermissionDenied(_("You may not change this round."))
        if lock:
            appraisal_round = AppraisalRound.objects.select_for_update().get(pk=appraisal_round.pk)
        return appraisal_round


class RoundDetailView(RoundScopedMixin, generic.View):
    """A round: per organization the participants and ratings by status, with the workflow buttons."""

    template_name = "appraisal/round_detail.html"
    row_limit = 300

    def get(self, request, pk):
        appraisal_round = self.get_round()
        user = request.user
        visible = scope.restrict(Organization.objects.all(), user, "view").filter(
            path__startswith=appraisal_round.organization.path
        )
        # Organizations that have participants of their own, plus the user's own committees.
        participant_counts = dict(
            Participant.objects.filter(round=appraisal_round, organization__in=visible)
            .values_list("organization_id")
            .annotate(n=Count("pk"))
        )
        status_counts = {}
        for org_id, status, n in (
            Rating.objects.filter(round=appraisal_round, organization__in=visible)
            .values_list("organization_id", "status")
            .annotate(n=Count("pk"))
        ):
            status_counts.setdefault(org_id, {})[status] = n
        ids = set(participant_counts) | set(status_counts)
        organizations = list(visible.filter(pk__in=ids).order_by("path")[: self.row_limit])
        is_city_admin = scope.get_scope(user).is_city_admin
        rows = []
        for org in organizations:
            counts = status_counts.get(org.pk, {})
            rows.append(
                {
                    "organization": org,
                    "participants": participant_counts.get(org.pk, 0),
                    "counts": [counts.get(value, 0) for value in RatingStatusChoices.values],
                    "rated": sum(counts.values()),
                    "may_change": scope.allows(user, "change", Rating, org),
                    "may_approve": services.holds_higher_role(user, org) and scope.allows(user, "approve", Rating, org),
                    "draft": counts.get("draft", 0),
                    "submitted": counts.get("submitted", 0),
                    "publicized": counts.get("publicized", 0),
                    "approved": counts.get("approved", 0),
                }
            )
        committees = [
            org for org in visible.exclude(pk__in=ids).filter(kind__in=["committee", "working_committee", "general_branch"]).order_by("path")[:50]
            if services.holds_higher_role(user, org) or is_city_admin
        ]
        pending_approval = sum(row["publicized"] for row in rows if row["may_approve"])
        context = {
            "round": appraisal_round,
            "object": appraisal_round,
            "rows": rows,
            "statuses": RatingStatusChoices.choices,
            "committees": committees,
            "is_city_admin": is_city_admin,
            "may_change_round": scope.allows(user, "change", AppraisalRound, appraisal_round.organization),
            "pending_approval": pending_approval,
            "truncated": len(ids) > self.row_limit,
            "history": [],
        }
        return render(request, self.template_name, context)


class WorkflowView(RoundScopedMixin, generic.View):
    """POST: move one organization's ratings a step (submit, publicize, approve) or reopen them."""

    def post(self, request, pk):
        action = request.POST.get("action")
        # Only a target on this portal: "//evil.example/" also starts with "/".
        next_url = safe_next(request, reverse("appraisal:round_detail", args=[pk]))
        try:
            with transaction.atomic():
                appraisal_round = self.get_round()
                organization = services.get_organization_or_404(request.user, request.POST.get("organization", ""), appraisal_round)
                if action == WorkflowActionChoices.REOPEN:
                    moved = services.reopen(appraisal_round, request.user, organization, request.POST.get("reason", ""))
                elif action in (WorkflowActionChoices.SUBMIT, WorkflowActionChoices.PUBLICIZE, WorkflowActionChoices.APPROVE):
                    moved = services.move_step(appraisal_round, request.user, organization, action)
                else:
                    messages.error(request, _("Unknown workflow step."))
                    return HttpResponseRedirect(next_url)
        except services.WorkflowConflict as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(next_url)
        except ValidationError as error:
            messages.error(request, _error_text(error))
            return HttpResponseRedirect(next_url)
        messages.success(
            request,
            _("{organization}: {count} ratings {action}.").format(
                organization=organization.name, count=moved, action=WorkflowActionChoices(action).label.lower()
            ),
        )
        return HttpResponseRedirect(next_url)


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


class ObjectionsView(RoundScopedMixin, generic.View):
    """Objections of a round: record one against a publicized member, resolve open ones."""

    template_name = "appraisal/objections.html"

    def context(self, appraisal_round):
        objections = scope.restrict(
            Objection.objects.filter(round=appraisal_round).select_related("member", "organization"),
            self.request.user,
            "view",
        )
        publicized = scope.restrict(
            Rating.objects.filter(round=appraisal_round, status=RatingStatusChoices.PUBLICIZED).select_related("member"),
            self.request.user,
            "view",
        ).order_by("member__name")[:500]
        return {"round": appraisal_round, "objections": objections[:500], "publicized": publicized}

    def get(self, request, pk):
        appraisal_round = self.get_round()
        return render(request, self.template_name, self.context(appraisal_round))

    def post(self, request, pk):
        appraisal_round = self.get_round()
        try:
            if request.POST.get("action") == "resolve":
                objection = scope.get_or_deny(
                    Objection.objects.filter(round=appraisal_round), request.user, "change", pk=request.POST.get("objection")
                )
                services.resolve_objection(objection, request.user, request.POST.get("resolution", ""))
                messages.success(request, _("Objection resolved."))
            else:
                member = scope.get_or_deny(
                    Member.objects.select_related("organization"), request.user, "view", pk=request.POST.get("member") or 0
                )
                services.record_objection(appraisal_round, request.user, member, request.POST.get("text", ""))
                messages.success(request, _("Objection recorded."))
        except services.WorkflowConflict as error:
            messages.error(request, error.message)
        except ValidationError as error:
            messages.error(request, _error_text(error))
        return HttpResponseRedirect(reverse("appraisal:objections", args=[appraisal_round.pk]))


class DisposalListView(generic.ObjectListView):
    """Disposal decisions whose next step is due or overdue, and unqualified ratings still without one."""

    queryset = DisposalDecision.objects.select_related("rating__member", "organization", "rating__round")
    filterset_class = DisposalDecisionFilterSet
    table_class = DisposalDecisionTable
    template_name = "appraisal/disposal_list.html"

    def get_restricted_queryset(self, action="view"):
        queryset = super().get_restricted_queryset(action)
        if self.request.GET.get("all") != "1":
            queryset = queryset.due()
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["show_all"] = self.request.GET.get("all") == "1"
        context["undecided"] = scope.restrict(
            services.unqualified_without_decision().select_related("member", "organization", "round"),
            self.request.user,
            "view",
        )[:200]
        context["today"] = timezone.localdate()
        return context


class DisposalEditView(generic.ObjectEditView):
    """Record or update the disposal of one unqualified rating (``rating`` in the URL when new)."""

    queryset = DisposalDecision.objects.select_related("rating__member__organization", "rating__organization")
    form_class = DisposalDecisionForm
    template_name = "appraisal/disposal_edit.html"

    def get_rating(self):
        return scope.get_or_deny(
            Rating.objects.select_related("member__organization", "organization"),
            self.request.user,
            "change",
            pk=self.kwargs["rating"],
        )

    def get(self, request, *args, **kwargs):
        if self.is_create():
            rating = self.get_rating()
            existing = DisposalDecision.objects.filter(rating=rating).first()
            if existing:
                return HttpResponseRedirect(existing.get_absolute_url())
            return self.render_form(self.get_form(instance=DisposalDecision(rating=rating)), None)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        with transaction.atomic():
            if self.is_create():
                instance = DisposalDecision(rating=self.get_rating())
            else:
                instance = self.get_object("change", lock=True)
            form = self.get_form(data=request.POST, instance=instance)
            if form.is_valid():
                try:
                    with transaction.atomic():
                        decision = services.save_disposal(form.instance, request.user)
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    messages.success(request, _("Saved {object}.").format(object=decision))
                    return HttpResponseRedirect(reverse("appraisal:disposal_list"))
        return self.render_form(form, instance if instance.pk else None, status=400)

    def render_form(self, form, instance, status=200):
        context = {"form": form, "object": instance, "rating": form.instance.rating, **self.base_context()}
        return render(self.request, self.template_name, context, status=status)


class ReportView(RoundScopedMixin, generic.View):
    """The round's report as XLSX: per organization the members appraised and each rating's count."""

    def get(self, request, pk):
        appraisal_round = self.get_round()
        content = report.round_report(appraisal_round, request.user)
        response = HttpResponse(
            content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = 'attachment; filename="appraisal-round-{}.xlsx"'.format(appraisal_round.pk)
        return response


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


class EnrolView(RoundScopedMixin, generic.View):
    """POST: enrol the members who joined the round's subtree since it opened (staff of the round's organization)."""

    def post(self, request, pk):
        appraisal_round = self.get_round()
        if not scope.allows(request.user, "change", AppraisalRound, appraisal_round.organization):
            raise PermissionDenied(_("You may not change this round."))
        with transaction.atomic():
            added = services.enrol_current_members(appraisal_round)
        messages.success(request, _("{count} members who joined since the round opened were enrolled.").format(count=added))
        return HttpResponseRedirect(reverse("appraisal:round_detail", args=[appraisal_round.pk]))
