"""FilterSets of organizations and members (one per model, shared by pages and API)."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.choices import OrganizationKindChoices, SectorChoices
from members.models import Organization
from portal.filtersets import BaseFilterSet


class OrganizationFilterSet(BaseFilterSet):
    search_fields = ("name__icontains", "code__icontains")

    kind = django_filters.MultipleChoiceFilter(choices=OrganizationKindChoices.choices, label=_("Kind"))
    sector = django_filters.MultipleChoiceFilter(choices=SectorChoices.choices, label=_("Sector"))
    parent = django_filters.CharFilter(field_name="parent__code", label=_("Parent (code)"))
    term_overdue = django_filters.BooleanFilter(method="filter_term_overdue", label=_("Term overdue"))
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Organization
        fields = ["q", "within", "kind", "sector", "parent", "term_overdue", "is_active"]

    def filter_term_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = queryset.term_overdue(timezone.localdate())
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))
