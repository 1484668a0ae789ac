"""Pages of an import declared with ``portal.importer``: upload, dry-run preview, confirm, progress of
a background job, and the downloadable template. An app's pages are subclasses naming their
``importer_class``, URL names and Celery task.

The preview is a dry run of the uploaded file. The file is kept in a private temporary folder,
named by a random token remembered in the user's session, until the user confirms the real run (or
for a day at most), so "Import now" imports exactly the file that was checked.

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
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from portal import jobs, scope, spreadsheets
from portal.export import CSV_CONTENT_TYPE, FORMATS, XLSX_CONTENT_TYPE
from portal.importer import ImportRefused, ImportResult, file_error
from portal.models import ImportJob

STASH_ROOT = Path(tempfile.gettempdir()) / "portal-imports"
STASH_MAX_AGE = 24 * 3600


def stash(upload, directory):
    """Keep an uploaded file until it is confirmed; returns its token. Old leftovers are removed."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    cutoff = time.time() - STASH_MAX_AGE
    for leftover in directory.iterdir():
        try:
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
        except FileNotFoundError:
            pass
    token = secrets.token_hex(16)
    upload.seek(0)
    with open(directory / token, "xb") as target:
        shutil.copyfileobj(upload, target, 1 << 20)
    return token


def stashed(token, directory):
    """The stashed file of ``token`` (a hex token of ours, never a path someone typed), or None."""
    if not token or not token.isalnum():
        return None
    path = directory / token
    return path if path.is_file() else None


class ImportMixin(LoginRequiredMixin):
    """Anonymous visitors go to the login page; roles without ``import_action`` on the imported
    model anywhere get 403. Subclasses name ``importer_class`` and ``job_kind`` (``ImportJob.kind``)."""

    importer_class = None
    import_action = "add"
    job_kind = None

    def dispatch(self, request, *args, **kwargs):
        if self.importer_class is None:
            raise ImproperlyConfigured("{} needs an importer_class.".format(type(self).__name__))
        if request.user.is_authenticated and not scope.may_ever(request.user, self.import_action, self.importer_class.model):
            raise PermissionDenied(_("Your role does not give access to this page."))
        return super().dispatch(request, *args, **kwargs)


class ImportPagesMixin(ImportMixin):
    """What the page, the job page and their template share: URL names and the page's context."""

    template_name = "generic/import.html"
    progress_template_name = "generic/import_progress.html"
    job_url_name = None  # the job page (``pk``)
    template_url_name = None  # the template download (``file_format``)
    list_url_name = None  # where "done" links to

    def page_context(self, **context):
        context.setdefault("columns", self.importer_class.column_names())
        context.setdefault("model_verbose_name_plural", self.importer_class.model._meta.verbose_name_plural)
        context.update(
            job_url_name=self.job_url_name, template_url_name=self.template_url_name, list_url_name=self.list_url_name
        )
        return context


class ImportPageView(ImportPagesMixin, View):
    """Upload a file, see the dry run (counts, or every error by row and column), then import."""

    job_task = None  # the app's Celery task running an import job (``portal.jobs.run_importer_job``)
    session_key = None  # default: "import:" + job_kind

    def get_session_key(self):
        return self.session_key or "import:{}".format(self.job_kind)

    def get_stash_dir(self):
        return STASH_ROOT / self.job_kind

    def run_import(self, upload, dry_run):
        return self.importer_class(self.request.user).run(upload, dry_run=dry_run)

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
            result = ImportResult(errors=[file_error(problem)])
            return self.render_page(result=result, file_name=upload.name, status=400)
        if amount > settings.IMPORT_ASYNC_BYTES:
            job = jobs.start_import_job(self.job_task, request.user, self.job_kind, upload, dry_run=True, keeps_file=True)
            return redirect(self.job_url_name, pk=job.pk)
        try:
            result = self.run_import(upload, dry_run=True)
        except ImportRefused as refused:
            return self.render_page(file_error=refused.message, status=429)
        if not result.ok:
            return self.render_page(result=result, file_name=upload.name, status=400)
        request.session[self.get_session_key()] = {"token": stash(upload, self.get_stash_dir()), "name": upload.name}
        return self.render_page(result=result, file_name=upload.name, preview=True)

    def confirm(self):
        if self.request.POST.get("job"):
            return self.confirm_job()
        kept = self.request.session.get(self.get_session_key()) or {}
        path = stashed(kept.get("token"), self.get_stash_dir())
        if path is None or self.request.POST.get("token") != kept.get("token"):
            return self.render_page(file_error=_("The checked file is no longer available; upload it again."), status=400)
        with open(path, "rb") as stored:
            try:
                result = self.run_import(stored, dry_run=False)
            except ImportRefused as refused:
                return self.render_page(file_error=refused.message, status=429)
        if result.ok:
            self.forget_stash()
        status = 200 if result.ok else 400
        return self.render_page(result=result, file_name=kept.get("name"), done=result.ok, status=status)

    def confirm_job(self):
        """The real run of a file a job has checked: the same job, run again for real."""
        job_id = self.request.POST.get("job", "")
        job = None
        if job_id.isascii() and job_id.isdigit() and len(job_id) < 19:
            job = jobs.confirm_import_job(self.job_task, int(job_id), self.request.user, self.job_kind)
        if job is None:
            return self.render_page(file_error=_("The checked file is no longer available; upload it again."), status=400)
        return redirect(self.job_url_name, pk=job.pk)

    def forget_stash(self):
        kept = self.request.session.pop(self.get_session_key(), None) or {}
        path = stashed(kept.get("token"), self.get_stash_dir())
        if path is not None:
            path.unlink(missing_ok=True)

    def render_page(self, status=200, **context):
        context.setdefault("token", (self.request.session.get(self.get_session_key()) or {}).get("token"))
        return render(self.request, self.template_name, self.page_context(**context), status=status)


class ImportJobView(ImportPagesMixin, View):
    """A background import of the user's: progress while it runs (polled by htmx), then the same
    preview, errors or counts as the import page shows for a small file. Another user's job is 404."""

    def get(self, request, pk):
        job = ImportJob.objects.defer("file_data").filter(pk=pk, user=request.user, kind=self.job_kind).first()
        if job is None:
            raise Http404(_("No such import."))
        polled = request.headers.get("HX-Request") == "true"
        if not job.finished:
            template = self.progress_template_name if polled else self.template_name
            return render(request, template, self.page_context(job=job))
        if polled:
            # Done: the whole page again, now with the result.
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        answer = job.result or {}
        if "detail" in answer:
            # Refused as a whole (e.g. too many refused registrations lately): the message, no table.
            return render(request, self.template_name, self.page_context(job=job, file_error=answer["detail"]))
        result = ImportResult.from_dict(answer, dry_run=job.dry_run)
        context = self.page_context(
            job=job,
            result=result,
            file_name=job.file_name,
            preview=job.dry_run and result.ok and job.keeps_file,
            done=not job.dry_run and result.ok,
        )
        return render(request, self.template_name, context)


class ImportTemplateView(ImportMixin, View):
    """The header row and one example row (``Importer.example``), as ``<filename>.csv`` or ``.xlsx``."""

    filename = None  # default: the model's name in the plural, e.g. "members-template"
    sheet_title = None

    def example_row(self):
        example = self.importer_class(self.request.user).example()
        return [example.get(name, "") for name in self.importer_class.column_names()]

    def get(self, request, file_format):
        if file_format not in FORMATS:
            return HttpResponseBadRequest(_("Choose one of: {formats}.").format(formats=", ".join(FORMATS)))
        rows = [list(self.importer_class.column_names()), self.example_row()]
        if file_format == "csv":
            buffer = io.StringIO()
            csv.writer(buffer).writerows(spreadsheets.csv_cells(values) for values in rows)
            response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type=CSV_CONTENT_TYPE)
        else:
            from openpyxl import Workbook

            workbook = Workbook()
            sheet = workbook.active
            sheet.title = self.sheet_title or self.importer_class.model._meta.model_name
            for values in rows:
                sheet.append(spreadsheets.xlsx_cells(sheet, values))
            # Text, not numbers: Excel would round an 18-digit ID number and drop a phone's leading 0.
            for cell in sheet[2]:
                cell.number_format = "@"
            buffer = io.BytesIO()
            workbook.save(buffer)
            response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
        filename = self.filename or "{}-template".format(self.importer_class.model._meta.model_name)
        response["Content-Disposition"] = 'attachment; filename="{}.{}"'.format(filename, file_format)
        return response
