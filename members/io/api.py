"""``POST /api/v1/members/import/`` and ``GET /api/v1/members/export/`` (API.md "Import").

A file with more to read than ``IMPORT_ASYNC_BYTES`` is imported by a Celery worker: the answer is
``202 {"job": <url>}`` and ``GET /api/v1/import-jobs/{id}/`` reports its status, the rows read and,
once finished, the same 200 or 400 body a smaller file gets at once.
"""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from members.filtersets import MemberFilterSet
from members.io.export import export_members
from members.io.importer import ImportRateLimited, import_members
from members.models import Member
from members.tasks import MEMBER_IMPORT_KIND, import_members_job
from portal import jobs, scope, spreadsheets
from portal.api.parsers import FormParser, MultiPartParser
from portal.export import FORMATS

TRUE_VALUES = {"true", "1", "yes", "on"}


class MayOnMembers(permissions.BasePermission):
    """401 anonymous; 403 unless a role gives ``view.member_action`` on members somewhere."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        return scope.may_ever(request.user, view.member_action, Member)


def _row_error(field, message):
    return {"errors": [{"row": 0, "field": field, "message": message}]}


class MemberImportErrorSerializer(serializers.Serializer):
    """One problem of an import: the 1-based data row (0: the file or its header row), the column, why."""

    row = serializers.IntegerField()
    field = serializers.CharField()
    message = serializers.CharField()


class MemberImportView(APIView):
    """Import members from a CSV (UTF-8 with or without BOM, or GBK) or XLSX file.

    Every row is checked with the roster's rules; one bad row and nothing is written, and every bad
    row and field is listed. A row whose ``id_number`` belongs to a current member updates them.
    """

    parser_classes = [MultiPartParser, FormParser]  # the portal's, with its input guards
    permission_classes = [MayOnMembers]
    member_action = "add"

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
        upload = request.FILES.get("file")
        if upload is None:
            return Response(_row_error("file", _("Send the roster file in the field named file.")), status=400)
        dry_run = str(request.data.get("dry_run", "")).strip().lower() in TRUE_VALUES
        try:
            # The size is checked before anything is read; an XLSX's zip directory before it is unpacked.
            amount = spreadsheets.content_size(upload)
        except spreadsheets.SpreadsheetError as problem:
            return Response(_row_error("file", str(problem)), status=status.HTTP_400_BAD_REQUEST)
        if amount > settings.IMPORT_ASYNC_BYTES:
            job = jobs.start_import_job(import_members_job, request.user, MEMBER_IMPORT_KIND, upload, dry_run=dry_run)
            url = request.build_absolute_uri(reverse("import-job", args=[job.pk]))
            return Response(
                {"job": url, "id": job.pk, "status": job.status}, status=status.HTTP_202_ACCEPTED, headers={"Location": url}
            )
        try:
            result = import_members(upload, request.user, dry_run=dry_run)
        except ImportRateLimited as limited:
            return Response(
                {"detail": limited.message},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(limited.retry_after)},
            )
        return Response(result.as_dict(), status=status.HTTP_200_OK if result.ok else status.HTTP_400_BAD_REQUEST)


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
