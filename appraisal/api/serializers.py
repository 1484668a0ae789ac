"""API serializers of the appraisal (fields fixed by API.md "Democratic appraisal")."""

from rest_framework import serializers

from appraisal.choices import RatingChoices
from appraisal.models import AppraisalRound, Rating
from members.models import Organization
from portal.api.serializers import ModelCleanMixin, ScopedSlugRelatedField


class AppraisalRoundSerializer(ModelCleanMixin, serializers.ModelSerializer):
    organization = ScopedSlugRelatedField(slug_field="code", queryset=Organization.objects.all())
    outstanding_warning_share = serializers.DecimalField(
        max_digits=4, decimal_places=3, min_value=0, max_value=1, coerce_to_string=False, required=False
    )
    participants = serializers.IntegerField(source="participant_count", read_only=True)

    class Meta:
        model = AppraisalRound
        fields = [
            "id",
            "name",
            "year",
            "organization",
            "campaign_id",
            "opens_on",
            "closes_on",
            "publicity_days",
            "outstanding_warning_share",
            "status",
            "participants",
        ]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list):
            # A round's subtree is fixed once members are enrolled in it.
            fields["organization"].read_only = True
        return fields


class RatingSerializer(serializers.ModelSerializer):
    round = serializers.IntegerField(source="round_id", read_only=True)
    member = serializers.IntegerField(source="member_id", read_only=True)
    organization = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Rating
        fields = ["id", "round", "member", "rating", "status", "organization"]
        read_only_fields = fields


class RatingRowSerializer(serializers.Serializer):
    """One row of the bulk entry (documents the request body; rows are validated all at once)."""

    member = serializers.IntegerField()
    rating = serializers.ChoiceField(choices=RatingChoices.choices)
    reason = serializers.CharField(required=False, allow_blank=True)


class SavedSerializer(serializers.Serializer):
    saved = serializers.IntegerField()


class WorkflowSerializer(serializers.Serializer):
    organization = serializers.CharField(help_text="The code of the organization whose ratings move one step.")


class WorkflowResultSerializer(serializers.Serializer):
    organization = serializers.CharField()
    moved = serializers.IntegerField()
    status = serializers.CharField()


class ReopenSerializer(WorkflowSerializer):
    reason = serializers.CharField()


class ParticipantAddSerializer(serializers.Serializer):
    member = serializers.IntegerField()
