"""Pages of the member import (upload, dry-run preview, real run, templates) and the export download.

The preview is a dry run of the uploaded file. The file is kept in a private temporary folder,
named by a random token remembered in the user's session, until the user confirms the real
run (or for a day at most), so "Import now" imports exactly the file that was checked.

A file with more to read than ``IMPORT_ASYNC_BYTES`` is checked and imported by a Celery worker
instead (``portal.jobs``): the page answers at once with a progress page that polls the job (htmx)
and, when the job is done, shows the same preview, errors or counts as for a small file. Its file
is kept in the job (in the database) until it is confirmed.
"""

import csv
import io
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from members.filtersets import MemberFilterSet
from members.io.export import export_members
from members.io.importer import ImportRateLimited, ImportResult, import_members, importable_organizations
from members.io.rules import COLUMNS
from members.models import Member
from members.tasks import MEMBER_IMPORT_KIND, import_members_job
from members.validators import credit_code_check_character, id_number_check_character
from portal import jobs, scope, spreadsheets
from portal.export import CSV_CONTENT_TYPE, FORMATS, XLSX_CONTENT_TYPE
from portal.models import ImportJob
from portal.views.generic import filter_data

SESSION_KEY = "member_import"
STASH_DIR = Path(tempfile.gettempdir()) / "portal-member-imports"
STASH_MAX_AGE = 24 * 3600


class _MemberActionMixin(LoginRequiredMixin):
    """Anonymous visitors go to the login page; roles without ``member_action`` on members get 403."""

    member_action = "add"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not scope.may_ever(request.user, self.member_action, Member):
            raise PermissionDenied(_("Your role does not give access to this page."))
        return super().dispatch(request, *args, **kwargs)


def _stash(upload):
    """Keep an uploaded file until it is confirmed; returns its token. Old leftovers are removed."""
    STASH_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    cutoff = time.time() - STASH_MAX_AGE
    for leftover in STASH_DIR.iterdir():
        try:
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
        except FileNotFoundError:
            pass
    token = secrets.token_hex(16)
    upload.seek(0)
    with open(STASH_DIR / token, "xb") as target:
        shutil.copyfileobj(upload, target, 1 << 20)
    return token


def _stashed(token):
    """The stashed file of ``token`` (a hex token of ours, never a path someone typed), or None."""
    if not token or not token.isalnum():
        return None
    path = STASH_DIR / token
    return path if path.is_file() else None


class MemberImportPageView(_MemberActionMixin, View):
    """Upload a file, see the dry run (counts, or every error by row and column), then import."""

    template_name = "members/io/import.html"

    def get(self, request):
        return self.render_page()

    def post(self, request):
        if "confirm" in request.POST:
            return self.confirm()
        upload = request.FILES.get("file")
        if upload is None:
            return self.render_page(file_error=_("Choose a CSV or XLSX file."), status=400)
        self.forget_stash()
        try:
            # The size is checked before anything is read; an XLSX's zip directory before it is unpacked.
            amount = spreadsheets.content_size(upload)
        except spreadsheets.SpreadsheetError as problem:
            result = ImportResult(errors=[{"row": 0, "field": "file", "message": str(problem)}])
            return self.render_page(result=result, file_name=upload.name, status=400)
        if amount > settings.IMPORT_ASYNC_BYTES:
            job = jobs.start_import_job(
                import_members_job, request.user, MEMBER_IMPORT_KIND, upload, dry_run=True, keeps_file=True
            )
            return redirect("members:member_import_job", pk=job.pk)
        try:
            result = import_members(upload, request.user, dry_run=True)
        except ImportRateLimited as limited:
            return self.render_page(file_error=limited.message, status=429)
        if not result.ok:
            return self.render_page(result=result, file_name=upload.name, status=400)
        request.session[SESSION_KEY] = {"token": _stash(upload), "name": upload.name}
        return self.render_page(result=result, file_name=upload.name, preview=True)

    def confirm(self):
        if self.request.POST.get("job"):
            return self.confirm_job()
        stashed = self.request.session.get(SESSION_KEY) or {}
        path = _stashed(stashed.get("token"))
        if path is None or self.request.POST.get("token") != stashed.get("token"):
            return self.render_page(file_error=_("The checked file is no longer available; upload it again."), status=400)
        with open(path, "rb") as stored:
            try:
                result = import_members(stored, self.request.user, dry_run=False)
            except ImportRateLimited as limited:
                return self.render_page(file_error=limited.message, status=429)
        if result.ok:
            self.forget_stash()
        status = 200 if result.ok else 400
        return self.render_page(result=result, file_name=stashed.get("name"), done=result.ok, status=status)

    def confirm_job(self):
        """The real run of a file a job has checked: the same job, run again for real."""
        job_id = self.request.POST.get("job", "")
        job = None
        if job_id.isascii() and job_id.isdigit() and len(job_id) < 19:
            job = jobs.confirm_import_job(import_members_job, int(job_id), self.request.user, MEMBER_IMPORT_KIND)
        if job is None:
            return self.render_page(file_error=_("The checked file is no longer available; upload it again."), status=400)
        return redirect("members:member_import_job", pk=job.pk)

    def forget_stash(self):
        stashed = self.request.session.pop(SESSION_KEY, None) or {}
        path = _stashed(stashed.get("token"))
        if path is not None:
            path.unlink(missing_ok=True)

    def render_page(self, status=200, **context):
        context.setdefault("columns", COLUMNS)
        context.setdefault("token", (self.request.session.get(SESSION_KEY) or {}).get("token"))
        return render(self.request, self.template_name, context, status=status)


class MemberImportJobView(_MemberActionMixin, View):
    """A background import of the user's: progress while it runs (polled by htmx), then the same
    preview, errors or counts as the import page shows for a small file. Another user's job is 404."""

    template_name = "members/io/import.html"
    progress_template_name = "members/io/import_progress.html"

    def get(self, request, pk):
        job = (
            ImportJob.objects.defer("file_data")
            .filter(pk=pk, user=request.user, kind=MEMBER_IMPORT_KIND)
            .first()
        )
        if job is None:
            raise Http404(_("No such import."))
        polled = request.headers.get("HX-Request") == "true"
        if not job.finished:
            template = self.progress_template_name if polled else self.template_name
            return render(request, template, {"job": job, "columns": COLUMNS})
        if polled:
            # Done: the whole page again, now with the result.
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        answer = job.result or {}
        if "detail" in answer:
            # Refused as a whole (too many refused registrations lately): the message, no table.
            return render(request, self.template_name, {"job": job, "columns": COLUMNS, "file_error": answer["detail"]})
        result = ImportResult(dry_run=job.dry_run)
        result.errors = answer.get("errors", [])
        result.created = answer.get("created", 0)
        result.updated = answer.get("updated", 0)
        context = {
            "job": job,
            "columns": COLUMNS,
            "result": result,
            "file_name": job.file_name,
            "preview": job.dry_run and result.ok and job.keeps_file,
            "done": not job.dry_run and result.ok,
        }
        return render(request, self.template_name, context)


def example_row(user):
    """A valid example row for the template: a formal member of the first organization the user may fill."""
    first17 = "35010219900307123"
    credit17 = "91350200MA2Y00001"
    codes = sorted(importable_organizations(user))
    example = {
        "name": _("Zhang San"),
        "gender": "male",
        "birth_date": "1990-03-07",
        "id_number": first17 + id_number_check_character(first17),
        "phone": "13800138000",
        "organization": codes[0] if codes else "BRANCH_CODE",
        "status": "formal",
        "joined_on": "2015-07-01",
        "full_member_on": "2016-07-01",
        "categories": "enterprise;mobile",
        "activity_status": "normal",
        "enterprise": credit17 + credit_code_check_character(credit17),
        "is_pocket": "false",
    }
    return [example[column] for column in COLUMNS]


class MemberImportTemplateView(_MemberActionMixin, View):
    """The header row and one example row, as ``members-template.csv`` or ``.xlsx``."""

    def get(self, request, file_format):
        if file_format not in FORMATS:
            return HttpResponseBadRequest(_("Choose one of: {formats}.").format(formats=", ".join(FORMATS)))
        rows = [list(COLUMNS), example_row(request.user)]
        if file_format == "csv":
            buffer = io.StringIO()
            csv.writer(buffer).writerows(spreadsheets.csv_cells(values) for values in rows)
            response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type=CSV_CONTENT_TYPE)
        else:
            from openpyxl import Workbook

            workbook = Workbook()
            sheet = workbook.active
            sheet.title = "members"
            for values in rows:
                sheet.append(spreadsheets.xlsx_cells(sheet, values))
            # Text, not numbers: Excel would round an 18-digit ID number and drop a phone's leading 0.
            for cell in sheet[2]:
                cell.number_format = "@"
            buffer = io.BytesIO()
            workbook.save(buffer)
            response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = 'attachment; filename="members-template.{}"'.format(file_format)
        return response


class MemberExportPageView(_MemberActionMixin, View):
    """The member list's current filters (``?status=...&format=xlsx``) as a download."""

    member_action = "view"

    def get(self, request):
        file_format = request.GET.get("format", "csv")
        if file_format not in FORMATS:
            return HttpResponseBadRequest(_("Choose one of: {formats}.").format(formats=", ".join(FORMATS)))
        filterset = MemberFilterSet(
            filter_data(request), queryset=Member.objects.restrict(request.user, "view"), request=request
        )
        if not filterset.is_valid():
            return HttpResponseBadRequest(_("The filters are not valid."))
        return export_members(filterset.qs, request.user, file_format)
