"""API serializers of organizations (fields fixed by API.md)."""

from rest_framework import serializers

from members.models import Organization
from portal.api.serializers import ModelCleanMixin, ScopedSlugRelatedField


class OrganizationSerializer(ModelCleanMixin, serializers.ModelSerializer):
    parent = ScopedSlugRelatedField(
        slug_field="code", queryset=Organization.objects.all(), allow_null=True, required=False
    )
    depth = serializers.IntegerField(read_only=True)
    term_expires_on = serializers.DateField(read_only=True)

    class Meta:
        model = Organization
        fields = [
            "code",
            "name",
            "kind",
            "sector",
            "parent",
            "depth",
            "term_started_on",
            "term_years",
            "term_expires_on",
            "is_active",
        ]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list):
            fields["code"].read_only = True  # the stable external key is writable on create only
        return fields
