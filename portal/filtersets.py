"""The base FilterSet: ``q`` search and ``within=<org code>`` on every list, page and API alike."""

import django_filters
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import scope, tree


class BaseFilterSet(django_filters.FilterSet):
    """One FilterSet per model serves both its list page and its API.

    Subclasses list the text fields ``q`` searches in ``search_fields`` (lookups such as
    ``name__icontains`` or ``code__istartswith``). ``within`` keeps the organization named by
    its code and everything below it; a code the caller cannot see is 404, as if unknown.
    """

    search_fields = ()

    q = django_filters.CharFilter(method="filter_q", label=gettext_lazy("Search"))
    within = django_filters.CharFilter(method="filter_within", label=gettext_lazy("Within organization (code)"))

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value or not self.search_fields:
            return queryset
        condition = Q()
        for lookup in self.search_fields:
            condition |= Q(**{lookup: value})
        return queryset.filter(condition)

    def filter_within(self, queryset, name, value):
        organization_model = tree.organization_model()
        user = getattr(self.request, "user", None)
        organization = scope.restrict(organization_model.objects.all(), user, "view").filter(code=value).first()
        if organization is None:
            # Some roles (statistics readers) see no organization rows but may still name their own.
            organization = scope.restrict(organization_model.objects.all(), user, "view_stats").filter(code=value).first()
        if organization is None:
            raise Http404(_("No organization with code {code} in your scope.").format(code=value))
        prefix = queryset.model.scope_organization
        lookup = (prefix + "__path__startswith") if prefix else "path__startswith"
        return queryset.filter(**{lookup: organization.path})
