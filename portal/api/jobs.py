"""``GET /api/v1/import-jobs/{id}/``: an import running in the background (API.md "Import", the 202 answer).

A job is its uploader's alone: anyone else (whatever their role) gets 404, as if it did not exist.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.jobs import job_answer
from portal.models import ImportJob, ImportJobStatusChoices


class ImportJobView(APIView):
    """The status of one of the caller's import jobs; once finished, ``result`` is the body the
    import would have answered at once (``{"created", "updated", "dry_run"}`` or ``{"errors": [...]}``)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="import_jobs_retrieve",
        responses={
            200: inline_serializer(
                "ImportJob",
                {
                    "id": serializers.IntegerField(),
                    "status": serializers.ChoiceField(choices=ImportJobStatusChoices.choices),
                    "dry_run": serializers.BooleanField(),
                    "rows_read": serializers.IntegerField(help_text="Rows of the file read so far."),
                    "created_at": serializers.DateTimeField(),
                    "finished_at": serializers.DateTimeField(allow_null=True),
                    "result": serializers.JSONField(allow_null=True, help_text="Null until the job has finished."),
                },
            )
        },
        tags=["import jobs"],
    )
    def get(self, request, pk):
        # The file itself is never needed here (it may be megabytes).
        job = ImportJob.objects.defer("file_data").filter(pk=pk, user=request.user).first()
        if job is None:
            raise Http404(_("No such import."))
        return Response(job_answer(job))
