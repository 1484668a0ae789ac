"""API serializers of organizations (fields fixed by API.md)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from members.choices import ExitReasonChoices, TransferStatusChoices
from members.models import Member, Organization, TransferLetter
from members.models.members import MEMBER_EDITABLE_FIELDS
from members.models.transfers import default_valid_until
from members.models.members import ID_NUMBER_TAKEN
from members.models.refusals import check_registration_allowed, clash_in_scope, clash_message
from members.validators import (
    mask_id_number,
    mask_phone,
    normalize_credit_code,
    normalize_id_number,
    normalize_phone,
)
from portal.api.serializers import ModelCleanMixin, ScopedPrimaryKeyRelatedField, ScopedSlugRelatedField


class OrganizationSerializer(ModelCleanMixin, serializers.ModelSerializer):
    parent = ScopedSlugRelatedField(
        slug_field="code", queryset=Organization.objects.all(), allow_null=True, required=False
    )
    depth = serializers.IntegerField(read_only=True)
    term_expires_on = serializers.DateField(read_only=True, allow_null=True)

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


class MemberSerializer(ModelCleanMixin, serializers.ModelSerializer):
    """A party member as API.md fixes it. ``id_number`` and ``phone`` are masked on read unless the
    caller may see this member's personal data."""

    organization = ScopedSlugRelatedField(slug_field="code", queryset=Organization.objects.all())
    in_transit = serializers.SerializerMethodField(help_text="An issued transfer letter is still open.")

    class Meta:
        model = Member
        fields = ["id", *MEMBER_EDITABLE_FIELDS, "activity_status_since", "left_on", "exit_reason", "in_transit"]
        read_only_fields = ["activity_status_since", "left_on", "exit_reason"]
        # Uniqueness among current members is the model's rule (clean()), answered on the field.
        validators = []

    def get_fields(self):
        fields = super().get_fields()
        fields["id_number"].validators = []
        fields["phone"].allow_blank = True
        fields["enterprise"].allow_blank = True
        return fields

    def validate_id_number(self, value):
        value = normalize_id_number(value)
        if value and (self.instance is None or value != self.instance.id_number):
            # Every new number asked about is a question about the roster: closed (a 429, raised
            # through is_valid) to a user refused too often lately.
            check_registration_allowed(self._user())
        return value

    def validate_phone(self, value):
        return normalize_phone(value)

    def validate(self, attrs):
        try:
            return super().validate(attrs)
        except serializers.ValidationError as error:
            self._explain_clash(error.detail, attrs)
            raise

    def _user(self):
        request = self.context.get("request")
        return request.user if request else None

    def _explain_clash(self, detail, attrs):
        """An ID number held by another current member: name them when the caller may see them,
        otherwise keep the neutral answer and note the refusal (the view records it)."""
        errors = detail.get("id_number") if isinstance(detail, dict) else None
        if not errors or not any(getattr(error, "code", None) == ID_NUMBER_TAKEN for error in errors):
            return
        id_number = attrs.get("id_number", getattr(self.instance, "id_number", ""))
        other = clash_in_scope(self._user(), id_number, getattr(self.instance, "pk", None))
        if other is not None:
            detail["id_number"] = [
                ErrorDetail(clash_message(other), code=ID_NUMBER_TAKEN) if error.code == ID_NUMBER_TAKEN else error
                for error in errors
            ]
            return
        organization = attrs.get("organization", getattr(self.instance, "organization", None))
        refusals = self.context.get("refusals")
        if refusals is not None:
            refusals.append((id_number, organization.pk if organization is not None else None))

    def validate_enterprise(self, value):
        return normalize_credit_code(value) or None

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_in_transit(self, member):
        annotated = getattr(member, "in_transit", None)
        if annotated is not None:
            return annotated
        return TransferLetter.objects.in_transit().filter(member=member).exists()

    def to_representation(self, member):
        data = super().to_representation(member)
        request = self.context.get("request")
        if not member.shows_personal_data_to(request.user if request else None):
            data["id_number"] = mask_id_number(data["id_number"])
            data["phone"] = mask_phone(data["phone"])
        return data


class MemberExitSerializer(serializers.Serializer):
    """Takes a member off the roster for a recorded reason (members are never deleted)."""

    reason = serializers.ChoiceField(choices=ExitReasonChoices.choices)
    left_on = serializers.DateField(required=False, help_text="Defaults to today.")

    def validate_left_on(self, value):
        if value > timezone.localdate():
            raise serializers.ValidationError(_("The date of leaving cannot be in the future."))
        member = self.context.get("member")
        if member is not None and value < member.joined_on:
            raise serializers.ValidationError(_("A member cannot leave before joining."))
        return value


class TransferLetterSerializer(ModelCleanMixin, serializers.ModelSerializer):
    """A transfer letter. The destination may be any organization in the system (letters cross
    scopes: the receiving side is usually outside the issuer's) or a text outside it."""

    member = ScopedPrimaryKeyRelatedField(queryset=Member.objects.current())
    member_name = serializers.CharField(source="member.name", read_only=True)
    member_id_number = serializers.SerializerMethodField()
    from_organization = serializers.SlugRelatedField(slug_field="code", read_only=True)
    to_organization = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Organization.objects.filter(is_active=True),
        allow_null=True,
        required=False,
    )
    status = serializers.SerializerMethodField()
    issued_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = TransferLetter
        fields = [
            "id",
            "letter_number",
            "member",
            "member_name",
            "member_id_number",
            "from_organization",
            "to_organization",
            "external_destination",
            "reason",
            "issued_on",
            "valid_until",
            "status",
            "issued_by",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = ["decided_at", "decision_note"]
        extra_kwargs = {
            "letter_number": {"required": False, "allow_blank": True},
            "valid_until": {"required": False},
            "issued_on": {"required": False},
        }
        validators = []

    @extend_schema_field(serializers.ChoiceField(choices=TransferStatusChoices.choices))
    def get_status(self, letter):
        return letter.current_status

    @extend_schema_field(OpenApiTypes.STR)
    def get_member_id_number(self, letter):
        request = self.context.get("request")
        return letter.member.id_number_for(request.user if request else None)

    def validate_letter_number(self, value):
        value = (value or "").strip()
        if value and TransferLetter.objects.filter(letter_number=value).exists():
            raise serializers.ValidationError(_("A letter with this number already exists."))
        return value

    def validate(self, attrs):
        issued_on = attrs.get("issued_on") or timezone.localdate()
        attrs.setdefault("issued_on", issued_on)
        if not attrs.get("valid_until"):
            # None past 9999-12-31: the model's clean() then says what is wrong with the issue date.
            attrs["valid_until"] = default_valid_until(issued_on)
        return super().validate(attrs)


class TransferDecisionSerializer(serializers.Serializer):
    """Accepting or returning a letter, with an optional note (why it was returned)."""

    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
