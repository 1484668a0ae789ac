"""API permissions built on scope: 401 anonymous, 403 no role that could ever see this model."""

from rest_framework import permissions

from portal import scope


class ScopedModelPermission(permissions.BasePermission):
    """The caller holds at least one role that lets it see the view's model somewhere.

    Which rows are touched is decided by the queryset (``restrict``): rows outside the scope are
    404, rows visible but not changeable are 403 (``ScopedModelViewSet.get_object``), and a new
    row must land where the caller may add it (``ScopedModelViewSet.perform_create``).
    """

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        model = view.get_scope_model()
        if getattr(view, "action", None) == "create" and not scope.may_ever(request.user, "add", model):
            return False
        return scope.may_ever(request.user, "view", model)
