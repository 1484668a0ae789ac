"""Pages of organizations: tree, list, detail, edit, delete."""

from django.db.models import Count
from django.shortcuts import render
from django.urls import reverse

from members.filtersets import OrganizationFilterSet
from members.forms import OrganizationForm
from members.models import Organization
from members.models.organizations import path_ancestors
from members.tables import OrganizationTable
from portal import scope
from portal.views import generic


class OrganizationListView(generic.ObjectListView):
    queryset = Organization.objects.select_related("parent")
    filterset_class = OrganizationFilterSet
    table_class = OrganizationTable
    create_url_name = "members:organization_add"


class OrganizationTreeView(generic.ScopedViewMixin, generic.View):
    """The organization tree, opened one level at a time (htmx loads a node's children).

    Without ``parent`` it shows the tops of the user's scope; with ``parent=<code>`` it answers
    the children of that organization as a fragment. With ``q`` it lists matches by name or code
    with their place in the tree.
    """

    queryset = Organization.objects.all()
    template_name = "members/organization_tree.html"
    fragment_template = "members/inc/tree_children.html"
    search_limit = 100

    def get(self, request):
        visible = self.get_restricted_queryset()
        parent_code = request.GET.get("parent")
        query = request.GET.get("q", "").strip()
        if parent_code:
            parent = scope.get_or_deny(Organization.objects.all(), request.user, "view", code=parent_code)
            nodes = self._with_child_counts(visible.filter(parent=parent))
            return render(request, self.fragment_template, {"nodes": nodes})
        if query:
            matches = list(
                visible.filter(name__icontains=query) | visible.filter(code__icontains=query)
            )[: self.search_limit]
            ancestor_names = self._ancestor_names(matches)
            for match in matches:
                match.trail = " › ".join(ancestor_names.get(p, "") for p in path_ancestors(match.path))
            return render(request, self.template_name, {"matches": matches, "query": query, "search_limit": self.search_limit})
        return render(
            request, self.template_name, {"nodes": self._with_child_counts(scope.tops(visible, request.user)), "query": ""}
        )

    def _with_child_counts(self, queryset):
        return list(queryset.annotate(child_count=Count("children")).order_by("kind", "name"))

    def _ancestor_names(self, matches):
        paths = {p for match in matches for p in path_ancestors(match.path)}
        return dict(Organization.objects.filter(path__in=paths).values_list("path", "name"))


class OrganizationDetailView(generic.ObjectChildrenView):
    queryset = Organization.objects.select_related("parent")
    lookup_field = "code"
    lookup_url_kwarg = "code"
    template_name = "members/organization_detail.html"
    child_queryset = Organization.objects.all()
    child_ordering = ("name",)

    def get_extra_context(self, obj):
        return {
            **super().get_extra_context(obj),
            "edit_url": reverse("members:organization_edit", args=[obj.code]),
            "delete_url": reverse("members:organization_delete", args=[obj.code]),
            "ancestors": obj.ancestors(),
        }


class OrganizationEditView(generic.ObjectEditView):
    queryset = Organization.objects.all()
    form_class = OrganizationForm
    lookup_field = "code"
    lookup_url_kwarg = "code"


class OrganizationDeleteView(generic.ObjectDeleteView):
    queryset = Organization.objects.all()
    lookup_field = "code"
    lookup_url_kwarg = "code"
    success_url_name = "members:organization_list"

    def get_blockers(self, obj):
        return obj.deletion_blockers()
