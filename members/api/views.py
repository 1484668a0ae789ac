"""API endpoints of organizations."""

from django.db.models.deletion import ProtectedError
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from members.filtersets import OrganizationFilterSet
from members.models import Organization
from members.api.serializers import OrganizationSerializer
from portal.api.viewsets import ScopedModelViewSet


class OrganizationViewSet(ScopedModelViewSet):
    """Party organizations, looked up by their ``code``."""

    queryset = Organization.objects.select_related("parent")
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilterSet
    lookup_field = "code"
    lookup_value_regex = "[^/]+"

    def organization_of_new(self, serializer):
        # A new organization lands under its parent: adding one is adding to the parent's subtree.
        return serializer.validated_data.get("parent")

    def perform_update(self, serializer):
        if "parent" in serializer.validated_data and serializer.validated_data["parent"] != serializer.instance.parent:
            self.check_create_scope(serializer.validated_data["parent"])
        serializer.save()

    def perform_destroy(self, instance):
        blockers = instance.deletion_blockers()
        if blockers:
            raise ValidationError({"non_field_errors": [str(reason) for reason in blockers]})
        try:
            instance.delete()
        except ProtectedError:
            # Something else (another app's records) still refers to it.
            raise ValidationError(
                {"non_field_errors": [_("Other records still refer to this organization; it cannot be deleted.")]}
            ) from None
