"""The census page: an organization's members counted by category, down its children."""

from urllib.parse import urlencode

from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from members.census import NEEDS_CHOICES, member_census, member_census_by_child
from members.models import Member, Organization
from portal import scope
from portal.views import generic


class CensusView(generic.ScopedViewMixin, generic.View):
    """What needs fixing in an organization subtree's roster, each count linking to its list.

    A constant number of queries whatever the size of the subtree: the organization, one
    conditional aggregate over its members, one count of organizations past their term.
    """

    queryset = Member.objects.all()
    template_name = "members/census.html"

    def get(self, request, code=None):
        if code is None:
            return self.redirect_to_default()
        organization = scope.get_or_deny(Organization.objects.all(), request.user, "view", code=code)
        members = self.get_restricted_queryset().current().filter(organization__path__startswith=organization.path)
        counts = member_census(members)
        term_overdue = (
            scope.restrict(Organization.objects.all(), request.user, "view")
            .filter(path__startswith=organization.path)
            .term_overdue()
            .count()
        )
        list_url = reverse("members:member_list")
        checks = [
            {
                "label": label,
                "count": counts[check],
                "url": "{}?{}".format(list_url, urlencode({"within": organization.code, "needs": check})),
            }
            for check, label in NEEDS_CHOICES
        ]
        checks.append(
            {
                "label": _("Organizations past their term of office"),
                "count": term_overdue,
                "url": "{}?{}".format(
                    reverse("members:organization_list"),
                    urlencode({"within": organization.code, "term_overdue": "true"}),
                ),
            }
        )
        context = {
            "organization": organization,
            "rows": self.rows_by_child(members, organization),
            "check_labels": [label for _check, label in NEEDS_CHOICES],
            "total": counts["total"],
            "total_url": "{}?{}".format(list_url, urlencode({"within": organization.code})),
            "checks": checks,
            **self.base_context(),
        }
        return render(request, self.template_name, context)

    def rows_by_child(self, members, organization):
        """The counts per direct child (one grouped query, one query for the children's names)."""
        grouped = member_census_by_child(members, organization)
        paths = [row["child_path"] for row in grouped]
        organizations = {
            child.path: child
            for child in scope.restrict(Organization.objects.all(), self.request.user, "view").filter(path__in=paths)
        }
        rows = []
        for row in grouped:
            child = organizations.get(row["child_path"])
            if child is None:
                continue
            rows.append(
                {
                    "organization": child,
                    "is_self": child.pk == organization.pk,
                    "total": row["total"],
                    "counts": [row[check] for check, _label in NEEDS_CHOICES],
                }
            )
        return rows

    def redirect_to_default(self):
        visible = scope.restrict(Organization.objects.all(), self.request.user, "view")
        top = scope.tops(visible, self.request.user).order_by("path").first()
        if top is None:
            raise Http404(_("No organization in your scope."))
        return HttpResponseRedirect(reverse("members:census", args=[top.code]))
