"""Pages that move ratings through the workflow and handle objections."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
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
from portal.views.redirects import safe_next


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
