"""``POST /api/v1/members/import/`` and ``GET /api/v1/members/export/`` (API.md "Import").

A file with more to read than ``IMPORT_ASYNC_BYTES`` is imported by a Celery worker: the answer is
``202 {"job": <url>}`` and ``GET /api/v1/import-jobs/{id}/`` reports its status, the rows read and,
once finished, the same 200 or 400 body a smaller file gets at once.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from members.filtersets import MemberFilterSet
from members.io.export import export_members
from members.io.importer import MemberImporter
from members.models import Member
from members.tasks import MEMBER_IMPORT_KIND, import_members_job
from portal import scope
from portal.api.imports import ImportAPIView, ImportErrorSerializer
from portal.export import FORMATS


class MayOnMembers(permissions.BasePermission):
    """401 anonymous; 403 unless a role gives ``view.member_action`` on members somewhere."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        return scope.may_ever(request.user, view.member_action, Member)


class MemberImportErrorSerializer(ImportErrorSerializer):
    """One problem of an import: the 1-based data row (0: the file or its header row), the column, why."""


class MemberImportView(ImportAPIView):
    """Import members from a CSV (UTF-8 with or without BOM, or GBK) or XLSX file.

    Every row is checked with the roster's rules; one bad row and nothing is written, and every bad
    row and field is listed. A row whose ``id_number`` belongs to a current member updates them.
    """

    importer_class = MemberImporter
    job_task = import_members_job
    job_kind = MEMBER_IMPORT_KIND
    file_missing_message = gettext_lazy("Send the roster file in the field named file.")

    @extend_schema(
        operation_id="members_import",
        request={
            "multipart/form-data": inline_serializer(
                "MemberImportRequest",
                {"file": serializers.FileField(), "dry_run": serializers.BooleanField(required=False, default=False)},
            )
        },
        responses={
            200: inline_serializer(
                "MemberImportResult",
                {
                    "created": serializers.IntegerField(),
                    "updated": serializers.IntegerField(),
                    "dry_run": serializers.BooleanField(),
                },
            ),
            202: inline_serializer(
                "MemberImportJobStarted",
                {"job": serializers.URLField(help_text="Poll this URL for the job's status and result."), "id": serializers.IntegerField(), "status": serializers.CharField()},
            ),
            400: OpenApiResponse(inline_serializer("MemberImportErrors", {"errors": MemberImportErrorSerializer(many=True)})),
        },
        tags=["members"],
    )
    def post(self, request):
        return super().post(request)


class _ExportNegotiation(DefaultContentNegotiation):
    """Here ``?format=`` names the file to export, not the renderer of the API's answer."""

    class settings:
        URL_FORMAT_OVERRIDE = None


class MemberExportView(APIView):
    """The filtered member list as a CSV or XLSX download; ID numbers and phones masked where the
    caller may not see that member's personal data."""

    permission_classes = [MayOnMembers]
    member_action = "view"
    content_negotiation_class = _ExportNegotiation
    # Filters of the member list apply; drf's own filter backend is not used (not a list view).
    filter_backends = []

    @extend_schema(
        operation_id="members_export",
        parameters=[
            OpenApiParameter("format", OpenApiTypes.STR, enum=list(FORMATS), default="csv"),
            OpenApiParameter("status", OpenApiTypes.STR),
            OpenApiParameter("category", OpenApiTypes.STR),
            OpenApiParameter("activity_status", OpenApiTypes.STR),
            OpenApiParameter("organization", OpenApiTypes.STR),
            OpenApiParameter("enterprise", OpenApiTypes.STR),
            OpenApiParameter("is_pocket", OpenApiTypes.BOOL),
            OpenApiParameter("within", OpenApiTypes.STR),
            OpenApiParameter("q", OpenApiTypes.STR),
        ],
        responses={(200, "text/csv"): OpenApiTypes.BINARY, (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY},
        tags=["members"],
    )
    def get(self, request):
        file_format = request.query_params.get("format", "csv")
        if file_format not in FORMATS:
            return Response({"format": [_("Choose one of: {formats}.").format(formats=", ".join(FORMATS))]}, status=400)
        filterset = MemberFilterSet(
            request.query_params, queryset=Member.objects.restrict(request.user, "view"), request=request
        )
        if not filterset.is_valid():
            return Response(filterset.errors, status=400)
        return export_members(filterset.qs, request.user, file_format)
