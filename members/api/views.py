"""API endpoints of organizations, members and transfer letters."""

from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, Throttled, ValidationError
from rest_framework.response import Response

from members.api.serializers import (
    MemberExitSerializer,
    MemberSerializer,
    OrganizationSerializer,
    TransferDecisionSerializer,
    TransferLetterSerializer,
)
from members.filtersets import MemberFilterSet, OrganizationFilterSet, TransferLetterFilterSet
from members.models import Member, Organization, TransferLetter
from members.models.members import ID_NUMBER_REFUSED_MESSAGE
from members.models.refusals import (
    RegistrationLimitReached,
    RegistrationRefusal,
    RegistrationSourceChoices,
    clash_in_scope,
    clash_message,
)
from members.models.transfers import TransferError
from portal import scope
from portal.api.viewsets import ScopedModelViewSet
from portal.api.serializers import ErrorSerializer  # noqa: E402


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
        super().perform_destroy(instance)


class RegistrationThrottled(Throttled):
    """429: the caller was refused too many registrations lately (``members.models.refusals``)."""

    def __init__(self, limit):
        super().__init__(detail=limit.message)
        # Set after __init__, which would otherwise append its own sentence to the detail.
        self.wait = limit.retry_after


class MemberViewSet(ScopedModelViewSet):
    """The roster. Members are never deleted (DELETE is 405): they leave through ``exit``.

    The list shows current members unless ``include_left=true``; the detail shows any member in
    scope. ``id_number`` and ``phone`` are masked for callers without ``view_personal`` on the row.
    """

    queryset = Member.objects.select_related("organization")
    serializer_class = MemberSerializer
    filterset_class = MemberFilterSet
    lookup_value_regex = "[0-9]+"  # so /members/import/ and other words never read as an id
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().with_transit()

    def filter_queryset(self, queryset):
        # The filters (and their "current only" default) describe lists; a member who left is
        # still found by id.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["refusals"] = getattr(self, "refusals", None)  # None for the schema generator
        return context

    def initial(self, request, *args, **kwargs):
        # ID numbers refused because a current member outside the caller's scope holds them.
        self.refusals = []
        super().initial(request, *args, **kwargs)

    def _registering(self, write, request, *args, **kwargs):
        """Run a create or update (atomic); refusals are recorded after its transaction is over,
        since a refused write rolls it back."""
        try:
            return write(request, *args, **kwargs)
        except RegistrationLimitReached as limit:
            raise RegistrationThrottled(limit) from None
        finally:
            RegistrationRefusal.record(request.user, RegistrationSourceChoices.API, self.refusals)

    def create(self, request, *args, **kwargs):
        return self._registering(super().create, request, *args, **kwargs)

    def update(self, request, *args, **kwargs):
        return self._registering(super().update, request, *args, **kwargs)

    def _save(self, serializer):
        try:
            with transaction.atomic():
                serializer.save()
        except IntegrityError as error:
            # A concurrent save that lost the race on the current-ID-number index: answered like
            # clean() would have.
            if "member_unique_current_id_number" not in str(error):
                raise
            data = serializer.validated_data
            instance = serializer.instance
            id_number = data.get("id_number", getattr(instance, "id_number", ""))
            other = clash_in_scope(self.request.user, id_number, getattr(instance, "pk", None))
            if other is not None:
                raise ValidationError({"id_number": [clash_message(other)]}) from None
            organization = data.get("organization", getattr(instance, "organization", None))
            self.refusals.append((id_number, organization.pk if organization is not None else None))
            raise ValidationError({"id_number": [str(ID_NUMBER_REFUSED_MESSAGE)]}) from None

    def perform_create(self, serializer):
        self.check_create_scope(self.organization_of_new(serializer))
        self._save(serializer)

    def perform_update(self, serializer):
        new_organization = serializer.validated_data.get("organization")
        if new_organization is not None and new_organization != serializer.instance.organization:
            self.check_create_scope(new_organization)
        self._save(serializer)

    @extend_schema(request=MemberExitSerializer, responses={200: MemberSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def exit(self, request, pk=None):
        """Take the member off the roster: transfer out, death, withdrawal or removal."""
        with transaction.atomic():
            member = scope.get_or_deny(self.queryset, request.user, "change", lock=True, pk=pk)
            serializer = MemberExitSerializer(data=request.data, context={"member": member, "request": request})
            serializer.is_valid(raise_exception=True)
            problem = member.exit_blocker()
            if problem:
                return Response({"detail": problem}, status=status.HTTP_409_CONFLICT)
            member.record_exit(serializer.validated_data["reason"], serializer.validated_data.get("left_on"))
        member = self.get_queryset().get(pk=member.pk)
        return Response(self.get_serializer(member).data)


class TransferLetterViewSet(ScopedModelViewSet):
    """Transfer letters (组织关系转接): issue (POST), then ``accept`` or ``return``.

    The issuing side sees the letters of its members; the receiving side those addressed to it.
    Issuing needs ``change`` on the member; accepting needs ``add`` of members at the destination.
    Letters are never edited or deleted once issued.
    """

    queryset = TransferLetter.objects.select_related(
        "member__organization", "from_organization", "to_organization", "issued_by", "decided_by"
    )
    serializer_class = TransferLetterSerializer
    filterset_class = TransferLetterFilterSet
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return self.queryset.restrict(self.request.user)

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    @transaction.atomic
    def create(self, request, *args, **kwargs):
        # The member decides the scope: out of scope is 404 before anything about the letter is said.
        member_id = request.data.get("member") if hasattr(request.data, "get") else None
        if member_id in (None, ""):
            raise ValidationError({"member": [_("This field is required.")]})
        member = scope.get_or_deny(Member.objects.all(), request.user, "change", lock=True, pk=member_id)
        # A letter left past its validity no longer blocks a new one.
        TransferLetter.objects.filter(member=member).expire_due()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                letter = serializer.save(member=member, from_organization=member.organization, issued_by=request.user)
        except IntegrityError as error:
            if "transfer_one_open_letter_per_member" not in str(error):
                raise
            raise ValidationError({"member": [_("This member already has an open transfer letter.")]}) from None
        letter = self.get_queryset().get(pk=letter.pk)
        return Response(self.get_serializer(letter).data, status=status.HTTP_201_CREATED)

    def _decide(self, request, pk, step):
        note_serializer = TransferDecisionSerializer(data=request.data)
        note_serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            letter = get_object_or_404(self.get_queryset().select_for_update(of=("self",)), pk=pk)
            if not letter.may_be_decided_by(request.user, step):
                raise PermissionDenied()
            try:
                getattr(letter, step)(request.user, note_serializer.validated_data.get("note", ""))
            except TransferError as error:
                return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        letter = self.get_queryset().get(pk=letter.pk)
        return Response(self.get_serializer(letter).data)

    @extend_schema(request=TransferDecisionSerializer, responses={200: TransferLetterSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """The receiving side takes the member in (the member moves there)."""
        return self._decide(request, pk, "accept")

    @extend_schema(request=TransferDecisionSerializer, responses={200: TransferLetterSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"], url_path="return")
    def return_letter(self, request, pk=None):
        """The letter goes back: the member stays where they were."""
        return self._decide(request, pk, "return_letter")
