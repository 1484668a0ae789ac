"""The base viewset every app's API builds on: scope, transactions, 404 before 403."""

from django.db import transaction
from django.db.models import ProtectedError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError

from portal import scope
from portal.api.permissions import ScopedModelPermission

_ACTIONS = {"update": "change", "partial_update": "change", "destroy": "delete"}


class ScopedModelViewSet(viewsets.ModelViewSet):
    """CRUD over a scoped model.

    Every query goes through ``restrict(user, "view")``; a write locks its row and re-checks the
    caller's right to change or delete it inside the same transaction; a create checks the
    organization the new row lands in. Subclasses declare ``queryset``, ``serializer_class`` and
    ``filterset_class`` (plus ``select_related``/``prefetch_related`` on the queryset).
    """

    permission_classes = [ScopedModelPermission]
    # Integer ids: anything else is not a route (404), never a 500 from int("abc").
    lookup_value_regex = "[0-9]+"

    def get_scope_model(self):
        return self.queryset.model

    def get_queryset(self):
        return scope.restrict(super().get_queryset(), self.request.user, "view")

    def get_object(self):
        action = _ACTIONS.get(self.action)
        if action is None:
            return super().get_object()
        # Lock the row so the scope check and the write see the same state.
        queryset = self.filter_queryset(self.get_queryset()).select_for_update(of=("self",))
        lookup_url_kwarg = self.lookup_url_kwarg or self.lookup_field
        obj = get_object_or_404(queryset, **{self.lookup_field: self.kwargs[lookup_url_kwarg]})
        self.check_object_permissions(self.request, obj)
        if not scope.restrict(self.get_scope_model().objects.filter(pk=obj.pk), self.request.user, action).exists():
            raise PermissionDenied()
        return obj

    def check_create_scope(self, organization):
        """403 unless the caller may add this model's rows to ``organization`` (None: the root)."""
        if not scope.allows(self.request.user, "add", self.get_scope_model(), organization):
            raise PermissionDenied()

    def organization_of_new(self, serializer):
        """The organization a new row lands in (override for models reached another way)."""
        return serializer.validated_data.get("organization")

    @transaction.atomic
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        self.check_create_scope(self.organization_of_new(serializer))
        serializer.save()

    @transaction.atomic
    def update(self, request, *args, **kwargs):
        return super().update(request, *args, **kwargs)

    def perform_update(self, serializer):
        # A row may not be moved to an organization the caller could not have created it in.
        if "organization" in serializer.validated_data:
            self.check_create_scope(serializer.validated_data["organization"])
        serializer.save()

    @transaction.atomic
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        try:
            with transaction.atomic():
                instance.delete()
        except ProtectedError:
            # Records of another model still point to it: a reason, never a 500.
            raise ValidationError(
                {"non_field_errors": [_("Other records still refer to it; it cannot be deleted.")]}
            ) from None
