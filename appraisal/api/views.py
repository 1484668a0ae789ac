"""API endpoints of the democratic appraisal: rounds, bulk rating entry, the workflow, ratings."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from appraisal import scoped_figures, services
from appraisal.api.serializers import (
    AppraisalRoundSerializer,
    MutualEvaluationGroupSerializer,
    ParticipantAddSerializer,
    RatingRowSerializer,
    RatingSerializer,
    ReopenSerializer,
    SavedSerializer,
    WorkflowResultSerializer,
    WorkflowSerializer,
)
from appraisal.choices import RatingStatusChoices, WorkflowActionChoices
from appraisal.filtersets import AppraisalRoundFilterSet, RatingFilterSet
from appraisal.models import AppraisalRound, MutualEvaluationGroup, Participant, Rating
from members.models import Member
from portal import scope
from portal.api.permissions import ScopedModelPermission
from portal.api.serializers import ErrorSerializer
from portal.api.viewsets import ScopedModelViewSet


class Conflict(APIException):
    """409: the state of the ratings forbids the change (API.md "Errors")."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The object's state forbids this change.")
    default_code = "conflict"


def run_service(function, *args, **kwargs):
    """Call a service, answering its domain errors the REST way (400 / 409; 403 and 404 pass through)."""
    try:
        return function(*args, **kwargs)
    except services.WorkflowConflict as error:
        raise Conflict(error.message) from None
    except DjangoValidationError as error:
        raise serializers.ValidationError(serializers.as_serializer_error(error)) from None


_CONFLICT = OpenApiResponse(ErrorSerializer, description="The ratings' state forbids this (approved, publicity running, objections).")


class AppraisalRoundViewSet(ScopedModelViewSet):
    """Appraisal rounds. Opening one enrols every current member of its subtree; the actions enter
    ratings in bulk and move an organization's ratings through the workflow."""

    queryset = AppraisalRound.objects.select_related("organization")
    serializer_class = AppraisalRoundSerializer
    filterset_class = AppraisalRoundFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        # Secretaries see the rounds that cover their branch, held by a committee above them.
        rounds = AppraisalRound.objects.restrict(self.request.user).select_related("organization")
        if self.action in ("list", "retrieve"):
            # Not on writes: a locked row (SELECT ... FOR UPDATE) cannot carry a GROUP BY.
            # Only the participants the caller may see: a secretary sees the city's round, not its total.
            rounds = scoped_figures.with_participant_count(rounds, self.request.user)
        return rounds.order_by("-year", "-opens_on", "-id")

    def perform_create(self, serializer):
        self.check_create_scope(serializer.validated_data["organization"])
        appraisal_round = serializer.save()
        services.enrol_current_members(appraisal_round)
        appraisal_round.participant_count = scoped_figures.participant_count(appraisal_round, self.request.user)

    def perform_update(self, serializer):
        appraisal_round = serializer.save()
        appraisal_round.participant_count = scoped_figures.participant_count(appraisal_round, self.request.user)

    def _round(self):
        return services.get_round_or_404(self.request.user, self.kwargs["pk"])

    @extend_schema(
        request=RatingRowSerializer(many=True),
        responses={200: SavedSerializer, 409: _CONFLICT},
        summary="Insert or update ratings of the round in one transaction",
    )
    @action(detail=True, methods=["post"])
    def ratings(self, request, pk=None):
        with transaction.atomic():
            appraisal_round = self._round()
            saved = run_service(services.save_ratings, appraisal_round, request.user, request.data)
        return Response({"saved": saved})

    def _workflow(self, request, step):
        body = WorkflowSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            appraisal_round = self._round()
            organization = services.get_organization_or_404(request.user, body.validated_data["organization"], appraisal_round)
            moved = run_service(services.move_step, appraisal_round, request.user, organization, step)
        return Response(
            {"organization": organization.code, "moved": moved, "status": services._STEPS[step][1]}
        )

    @extend_schema(request=WorkflowSerializer, responses={200: WorkflowResultSerializer, 409: _CONFLICT})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """The branch submits its draft ratings."""
        return self._workflow(request, WorkflowActionChoices.SUBMIT)

    @extend_schema(request=WorkflowSerializer, responses={200: WorkflowResultSerializer, 409: _CONFLICT})
    @action(detail=True, methods=["post"])
    def publicize(self, request, pk=None):
        """The submitted ratings are publicized in the unit for the round's publicity period."""
        return self._workflow(request, WorkflowActionChoices.PUBLICIZE)

    @extend_schema(request=WorkflowSerializer, responses={200: WorkflowResultSerializer, 409: _CONFLICT})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """A higher committee approves the publicized ratings; they are final afterwards."""
        return self._workflow(request, WorkflowActionChoices.APPROVE)

    @extend_schema(request=ReopenSerializer, responses={200: WorkflowResultSerializer, 409: _CONFLICT})
    @action(detail=True, methods=["post"], url_path="return")
    def return_ratings(self, request, pk=None):
        """A higher committee sends submitted or publicized ratings back to draft, with a written reason."""
        body = ReopenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            appraisal_round = self._round()
            organization = services.get_organization_or_404(request.user, body.validated_data["organization"], appraisal_round)
            moved = run_service(services.return_ratings, appraisal_round, request.user, organization, body.validated_data["reason"])
        return Response({"organization": organization.code, "moved": moved, "status": RatingStatusChoices.DRAFT})

    @extend_schema(request=ReopenSerializer, responses={200: WorkflowResultSerializer, 409: _CONFLICT})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """City administrators only: approved ratings of the organization return to draft, with a written reason."""
        body = ReopenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            appraisal_round = self._round()
            organization = services.get_organization_or_404(request.user, body.validated_data["organization"], appraisal_round)
            moved = run_service(services.reopen, appraisal_round, request.user, organization, body.validated_data["reason"])
        return Response({"organization": organization.code, "moved": moved, "status": RatingStatusChoices.DRAFT})

    @extend_schema(request=ParticipantAddSerializer, responses={201: ParticipantAddSerializer})
    @action(detail=True, methods=["post"])
    def participants(self, request, pk=None):
        """Enrol a member who joined after the round opened."""
        body = ParticipantAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            appraisal_round = self._round()
            member = scope.restrict(Member.objects.select_related("organization"), request.user, "view").filter(
                pk=body.validated_data["member"]
            ).first()
            if member is None:
                raise serializers.ValidationError({"member": [_("Unknown member.")]})
            participant = run_service(services.add_participant, appraisal_round, member, request.user)
        return Response({"member": participant.member_id}, status=status.HTTP_201_CREATED)


class RatingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Ratings the caller may see; filter with ``round=<id>``. Entered through the round's ``ratings`` action."""

    queryset = Rating.objects.select_related("organization")
    serializer_class = RatingSerializer
    filterset_class = RatingFilterSet
    permission_classes = [ScopedModelPermission]

    def get_scope_model(self):
        return Rating

    def get_queryset(self):
        return scope.restrict(super().get_queryset(), self.request.user, "view").order_by("id")



class MutualEvaluationGroupViewSet(ScopedModelViewSet):
    """Mutual-evaluation groups of at most 10 members; ``members`` (member ids) places participants.

    The limit is checked here (400), in the model's ``clean()`` and by a database trigger that
    also catches two concurrent requests filling the same group.
    """

    queryset = MutualEvaluationGroup.objects.select_related("organization").prefetch_related("participants")
    serializer_class = MutualEvaluationGroupSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        queryset = super().get_queryset()
        round_id = self.request.query_params.get("round")
        if round_id and round_id.isascii() and round_id.isdigit() and len(round_id) < 19:
            queryset = queryset.filter(round_id=round_id)
        return queryset.order_by("id")

    def _place(self, group, members):
        if members is None:
            return
        try:
            with transaction.atomic():
                Participant.objects.filter(group=group).exclude(member_id__in=members).update(group=None)
                Participant.objects.filter(round=group.round, organization=group.organization, member_id__in=members).update(
                    group=group
                )
        except DatabaseError:
            raise serializers.ValidationError({"members": [_("A mutual evaluation group has at most 10 members.")]}) from None

    def perform_create(self, serializer):
        self.check_create_scope(serializer.validated_data["organization"])
        members = serializer.validated_data.pop("members", None)
        group = serializer.save()
        self._place(group, members)

    def perform_update(self, serializer):
        members = serializer.validated_data.pop("members", None)
        group = serializer.save()
        self._place(group, members)
