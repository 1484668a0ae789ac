"""The base viewset every app's API builds on: scope, transactions, 404 before 403, ETags."""

from django.db import transaction
from django.db.models import ProtectedError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import status, viewsets
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.response import Response

from portal import scope
from portal.api.permissions import ScopedModelPermission
from portal.api.schema import AutoSchema
from portal.api.serializers import ErrorSerializer
from portal.versioning import matches, record_version

_ACTIONS = {"update": "change", "partial_update": "change", "destroy": "delete"}


class PreconditionFailed(APIException):
    """412: the caller's ``If-Match`` names a version of the object that is no longer current."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy(
        "Someone else changed this record since you read it. Read it again (its current ETag is in this answer) "
        "and apply your change to the current version."
    )
    default_code = "precondition_failed"

    def __init__(self, current_version):
        super().__init__()
        self.current_version = current_version


class ConditionalRequestSchema(AutoSchema):
    """Documents the conditional requests of a detail route: the ``ETag`` of a read or a write,
    ``If-None-Match`` (304) on a read, ``If-Match`` (412) on PUT, PATCH and DELETE."""

    def _is_detail(self):
        return getattr(self.view, "detail", False) and getattr(self.view, "action", None) in (
            "retrieve",
            "update",
            "partial_update",
            "destroy",
        )

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if not self._is_detail():
            return parameters
        if self.method == "GET":
            parameters.append(
                OpenApiParameter(
                    "If-None-Match",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    description="An ETag read earlier: 304 without a body while it is still the current one.",
                )
            )
        else:
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    description="The ETag the change is based on (`*`: any version). Without it the change is made "
                    "whatever the current version; with a stale one the answer is 412 and nothing changes.",
                )
            )
        parameters.append(
            OpenApiParameter(
                "ETag",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="The version of the object (a strong entity tag); send it back in If-Match.",
                response=["200", "304", "412"],
            )
        )
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response" or not self._is_detail():
            return responses
        if self.method == "GET":
            extra = {"304": OpenApiResponse(None, description="Not modified: If-None-Match names the current version.")}
        else:
            extra = {"412": OpenApiResponse(ErrorSerializer, description="Stale If-Match: changed since read; nothing changed.")}
        for code, response in extra.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses


class ScopedModelViewSet(viewsets.ModelViewSet):
    """CRUD over a scoped model.

    Every query goes through ``restrict(user, "view")``; a write locks its row and re-checks the
    caller's right to change or delete it inside the same transaction; a create checks the
    organization the new row lands in. Subclasses declare ``queryset``, ``serializer_class`` and
    ``filterset_class`` (plus ``select_related``/``prefetch_related`` on the queryset).

    Concurrent edits: a detail answer (GET, PUT, PATCH) carries the object's version as its
    ``ETag``; a PUT, PATCH or DELETE whose ``If-Match`` is not the current version answers 412
    and changes nothing. The comparison is made on the locked row, so of two writers holding the
    same ETag exactly one gets through. Without ``If-Match`` a write goes through as before.
    """

    permission_classes = [ScopedModelPermission]
    schema = ConditionalRequestSchema()
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
        # After 404 and 403, so a stale ETag says nothing to a caller who may not write anyway.
        self.check_if_match(obj)
        self._locked_object = obj
        return obj

    def get_version(self, obj):
        """The ETag of ``obj``: the version of its stored row (the same for every caller)."""
        return record_version(obj)

    def check_if_match(self, obj):
        """412 when the request's ``If-Match`` does not name the current version of the locked ``obj``."""
        header = self.request.headers.get("If-Match")
        if header is None:
            return
        current = self.get_version(obj)
        if not matches(header, current):
            raise PreconditionFailed(current)

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, PreconditionFailed):
            response["ETag"] = exc.current_version
        return response

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        version = self.get_version(instance)
        if matches(request.headers.get("If-None-Match"), version):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": version})
        serializer = self.get_serializer(instance)
        return Response(serializer.data, headers={"ETag": version})

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
        response = super().update(request, *args, **kwargs)
        if response.status_code == status.HTTP_200_OK:
            # Read back: the version of the row as stored (triggers, rounding), the one a GET will show.
            written = self._locked_object
            saved = type(written)._base_manager.filter(pk=written.pk).first()
            if saved is not None:
                response["ETag"] = self.get_version(saved)
        return response

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
