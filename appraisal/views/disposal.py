"""Pages of disposal decisions for members rated unqualified."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisal import services
from appraisal.filtersets import DisposalDecisionFilterSet
from appraisal.forms import DisposalDecisionForm
from appraisal.models import DisposalDecision, Rating
from appraisal.tables import DisposalDecisionTable
from portal import scope
from portal.views import generic


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
