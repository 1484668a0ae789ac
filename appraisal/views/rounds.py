"""Pages of appraisal rounds: list, edit, detail, enrolment of late joiners."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from appraisal import scoped_figures, services, workflows
from appraisal.choices import RatingStatusChoices
from appraisal.filtersets import AppraisalRoundFilterSet
from appraisal.forms import AppraisalRoundForm
from appraisal.models import AppraisalRound, Participant, Rating
from appraisal.tables import AppraisalRoundTable
from members.models import Organization
from portal import scope
from portal.views import generic


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
        # Workflow buttons only where a step can be made, disabled with the reason where a check fails.
        offers = workflows.offer_steps(user, appraisal_round, organizations + committees, visible)
        for row in rows:
            row["steps"] = offers[row["organization"].pk]
        committees = [{"organization": org, "steps": offers[org.pk]} for org in committees if offers[org.pk]]
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
