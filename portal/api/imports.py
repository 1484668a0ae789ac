"""The API of an import declared with ``portal.importer``: ``POST`` a file (and ``dry_run``), get the
counts (200), every error (400 ``{"errors": [{row, field, message}]}``), a refusal of the whole file
(429 ``{"detail"}`` with ``Retry-After``) or, for a file with more to read than
``IMPORT_ASYNC_BYTES``, ``202 {"job": <url>}`` (``GET /api/v1/import-jobs/{id}/`` reports it).
An app's endpoint is a subclass naming ``importer_class``, ``job_task`` and ``job_kind``."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import jobs, scope, spreadsheets
from portal.api.parsers import FormParser, MultiPartParser
from portal.importer import ImportRefused, file_error

TRUE_VALUES = {"true", "1", "yes", "on"}


class MayImport(permissions.BasePermission):
    """401 anonymous; 403 unless a role gives ``view.import_action`` on the imported model somewhere."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        return scope.may_ever(request.user, view.import_action, view.importer_class.model)


class ImportErrorSerializer(serializers.Serializer):
    """One problem of an import: the 1-based data row (0: the file or its header row), the column, why."""

    row = serializers.IntegerField()
    field = serializers.CharField()
    message = serializers.CharField()


class ImportAPIView(APIView):
    """Import a CSV (UTF-8 with or without BOM, or GBK) or XLSX file: one bad row and nothing is
    written, and every bad row and field is listed."""

    parser_classes = [MultiPartParser, FormParser]  # the portal's, with its input guards
    permission_classes = [MayImport]
    importer_class = None
    import_action = "add"
    job_task = None
    job_kind = None
    file_missing_message = _("Send the file in the field named file.")

    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            return Response({"errors": [file_error(self.file_missing_message)]}, status=status.HTTP_400_BAD_REQUEST)
        dry_run = str(request.data.get("dry_run", "")).strip().lower() in TRUE_VALUES
        try:
            # The size is checked before anything is read; an XLSX's zip directory before it is unpacked.
            amount = spreadsheets.content_size(upload)
        except spreadsheets.SpreadsheetError as problem:
            return Response({"errors": [file_error(problem)]}, status=status.HTTP_400_BAD_REQUEST)
        if amount > settings.IMPORT_ASYNC_BYTES:
            job = jobs.start_import_job(self.job_task, request.user, self.job_kind, upload, dry_run=dry_run)
            url = request.build_absolute_uri(reverse("import-job", args=[job.pk]))
            return Response(
                {"job": url, "id": job.pk, "status": job.status}, status=status.HTTP_202_ACCEPTED, headers={"Location": url}
            )
        try:
            result = self.importer_class(request.user).run(upload, dry_run=dry_run)
        except ImportRefused as refused:
            return Response(
                {"detail": refused.message},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(refused.retry_after)},
            )
        return Response(result.as_dict(), status=status.HTTP_200_OK if result.ok else status.HTTP_400_BAD_REQUEST)
