"""Pages that move ratings through the workflow and handle objections."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from appraisal import services
from appraisal.choices import RatingStatusChoices, WorkflowActionChoices
from appraisal.models import Objection, Rating
from appraisal.views.rounds import RoundScopedMixin, _error_text
from members.models import Member
from portal import scope
from portal.views import generic
from portal.views.workflow import WorkflowStepMixin
from portal.workflow import WorkflowConflict


class WorkflowView(RoundScopedMixin, WorkflowStepMixin, generic.View):
    """POST: move one organization's ratings a step (submit, publicize, approve, send back) or reopen them."""

    def get_next_url(self):
        return reverse("appraisal:round_detail", args=[self.kwargs["pk"]])

    def perform_step(self):
        request = self.request
        action = request.POST.get("action")
        appraisal_round = self.get_round()
        organization = services.get_organization_or_404(request.user, request.POST.get("organization", ""), appraisal_round)
        if action == WorkflowActionChoices.REOPEN:
            moved = services.reopen(appraisal_round, request.user, organization, request.POST.get("reason", ""))
        elif action == "return":
            moved = services.return_ratings(appraisal_round, request.user, organization, request.POST.get("reason", ""))
            return _("{organization}: {count} ratings sent back to the branch.").format(
                organization=organization.name, count=moved
            )
        elif action in (WorkflowActionChoices.SUBMIT, WorkflowActionChoices.PUBLICIZE, WorkflowActionChoices.APPROVE):
            moved = services.move_step(appraisal_round, request.user, organization, action)
        else:
            raise WorkflowConflict(_("Unknown workflow step."))
        return _("{organization}: {count} ratings {action}.").format(
            organization=organization.name, count=moved, action=WorkflowActionChoices(action).label.lower()
        )


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
