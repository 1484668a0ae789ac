"""Pages of the shared core: the home page (dashboard)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from portal import scope


class HomeView(LoginRequiredMixin, TemplateView):
    """The dashboard: for now the user's scope; the statistics apps add their figures to it."""

    template_name = "portal/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user_scope = scope.get_scope(self.request.user)
        assignments = list(self.request.user.role_assignments.select_related("organization"))
        for assignment in assignments:
            # One count per role the user holds (a handful at most), not per organization.
            assignment.subtree_size = (
                assignment.organization.descendants(include_self=True).unrestricted("the size of the user's own role").count()
                if assignment.organization
                else None
            )
        context.update({"assignments": assignments, "is_city_admin": user_scope.is_city_admin})
        return context
