"""FilterSets of the appraisal (one per model, shared by pages and API)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from appraisal.choices import (
    DisposalKindChoices,
    RatingChoices,
    RatingStatusChoices,
    RoundStatusChoices,
)
from appraisal.models import AppraisalRound, DisposalDecision, Objection, Rating
from portal.filtersets import BaseFilterSet


class AppraisalRoundFilterSet(BaseFilterSet):
    search_fields = ("name__icontains", "organization__name__icontains", "organization__code__iexact")

    year = django_filters.NumberFilter(label=_("Year"))
    status = django_filters.ChoiceFilter(choices=RoundStatusChoices.choices, label=_("Status"))

    class Meta:
        model = AppraisalRound
        fields = ["q", "within", "year", "status"]


class RatingFilterSet(BaseFilterSet):
    search_fields = ("member__name__icontains",)

    round = django_filters.NumberFilter(field_name="round_id", label=_("Round"))
    rating = django_filters.MultipleChoiceFilter(choices=RatingChoices.choices, label=_("Rating"))
    status = django_filters.MultipleChoiceFilter(choices=RatingStatusChoices.choices, label=_("Status"))
    organization = django_filters.CharFilter(field_name="organization__code", label=_("Organization (code)"))
    member = django_filters.NumberFilter(field_name="member_id", label=_("Member"))

    class Meta:
        model = Rating
        fields = ["q", "within", "round", "rating", "status", "organization", "member"]


class ObjectionFilterSet(BaseFilterSet):
    search_fields = ("member__name__icontains", "text__icontains")

    round = django_filters.NumberFilter(field_name="round_id", label=_("Round"))
    resolved = django_filters.BooleanFilter(field_name="resolved_on", lookup_expr="isnull", exclude=True, label=_("Resolved"))

    class Meta:
        model = Objection
        fields = ["q", "within", "round", "resolved"]


class DisposalDecisionFilterSet(BaseFilterSet):
    search_fields = ("rating__member__name__icontains",)

    kind = django_filters.ChoiceFilter(choices=DisposalKindChoices.choices, label=_("Disposal"))
    round = django_filters.NumberFilter(field_name="rating__round_id", label=_("Round"))

    class Meta:
        model = DisposalDecision
        fields = ["q", "within", "kind", "round"]
