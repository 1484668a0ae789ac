"""API serializers of the appraisal (fields fixed by API.md "Democratic appraisal")."""

from django.utils.translation import gettext as _
from rest_framework import serializers

from appraisal.choices import RatingChoices
from appraisal.models import AppraisalRound, MutualEvaluationGroup, Participant, Rating
from members.models import Organization
from portal.api.serializers import ModelCleanMixin, ScopedSlugRelatedField


class AppraisalRoundSerializer(ModelCleanMixin, serializers.ModelSerializer):
    organization = ScopedSlugRelatedField(slug_field="code", queryset=Organization.objects.all())
    outstanding_warning_share = serializers.DecimalField(
        max_digits=4, decimal_places=3, min_value=0, max_value=1, coerce_to_string=False, required=False
    )
    participants = serializers.IntegerField(
        source="participant_count",
        read_only=True,
        help_text="Participants inside the caller's scope: the whole round for its committee's staff, "
        "a branch's own for its secretary.",
    )

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


class MutualEvaluationGroupSerializer(serializers.ModelSerializer):
    """A mutual-evaluation group; ``members`` lists the member ids placed in it (at most 10)."""

    round = serializers.PrimaryKeyRelatedField(queryset=AppraisalRound.objects.all())
    organization = ScopedSlugRelatedField(slug_field="code", queryset=Organization.objects.all())
    members = serializers.ListField(
        child=serializers.IntegerField(), max_length=10, required=False, write_only=True, help_text="Member ids, at most 10."
    )

    class Meta:
        model = MutualEvaluationGroup
        fields = ["id", "round", "organization", "name", "members"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["round"].queryset = AppraisalRound.objects.restrict(request.user)
        if self.instance is not None and not isinstance(self.instance, list):
            fields["round"].read_only = True
            fields["organization"].read_only = True
        return fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # Prefetched by the viewset: no query per group.
        data["members"] = sorted(p.member_id for p in instance.participants.all())
        return data

    def validate(self, attrs):
        attrs = super().validate(attrs)
        appraisal_round = attrs.get("round") or self.instance.round
        organization = attrs.get("organization") or self.instance.organization
        if not organization.path.startswith(appraisal_round.organization.path):
            raise serializers.ValidationError({"organization": [_("The organization is outside the round.")]})
        members = attrs.get("members")
        if members is not None:
            if len(set(members)) != len(members):
                raise serializers.ValidationError({"members": [_("A member is listed twice.")]})
            found = set(
                Participant.objects.filter(
                    round=appraisal_round, organization=organization, member_id__in=members
                ).values_list("member_id", flat=True)
            )
            missing = [m for m in members if m not in found]
            if missing:
                raise serializers.ValidationError(
                    {"members": [_("Not participants of this organization in the round: {ids}.").format(ids=missing)]}
                )
        return attrs
