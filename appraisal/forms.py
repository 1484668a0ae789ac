"""Forms of the appraisal pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from appraisal import services
from appraisal.models import AppraisalRound, DisposalDecision
from portal.forms import BootstrapFormMixin, ScopedModelForm


class AppraisalRoundForm(ScopedModelForm):
    class Meta:
        model = AppraisalRound
        fields = [
            "name",
            "year",
            "organization",
            "opens_on",
            "closes_on",
            "publicity_days",
            "outstanding_warning_share",
            "status",
        ]
        widgets = {
            "opens_on": forms.DateInput(attrs={"type": "date"}),
            "closes_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The subtree is fixed once its members are enrolled.
            self.fields["organization"].disabled = True

    def save(self, commit=True):
        is_new = self.instance.pk is None
        appraisal_round = super().save(commit=commit)
        if commit and is_new:
            services.enrol_current_members(appraisal_round)
        return appraisal_round


class GroupForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Group name"), max_length=100)


class DisposalDecisionForm(ScopedModelForm):
    class Meta:
        model = DisposalDecision
        fields = [
            "kind",
            "correction_months",
            "review_on",
            "review_outcome",
            "talk_held_on",
            "branch_meeting_on",
            "votes_for",
            "votes_against",
            "votes_abstaining",
            "committee_approved_on",
            "notes",
        ]
        widgets = {
            name: forms.DateInput(attrs={"type": "date"})
            for name in ("review_on", "talk_held_on", "branch_meeting_on", "committee_approved_on")
        }
        help_texts = {
            "correction_months": _("6 months unless stated, at most 12."),
            "review_on": _("Left empty, it is the end of the correction period."),
        }
