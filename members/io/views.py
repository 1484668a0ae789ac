"""Pages of the member import (the portal's generic import pages, ``portal.views.imports``, declared
for ``MemberImporter``) and the export download."""

import tempfile
from pathlib import Path

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _
from django.views import View

from members.filtersets import MemberFilterSet
from members.io.export import export_members
from members.io.importer import MemberImporter
from members.models import Member
from members.tasks import MEMBER_IMPORT_KIND, import_members_job
from portal import scope
from portal.export import FORMATS
from portal.views.generic import filter_data
from portal.views.imports import ImportJobView, ImportPageView, ImportTemplateView

SESSION_KEY = "member_import"
STASH_DIR = Path(tempfile.gettempdir()) / "portal-member-imports"


class _MemberImport:
    importer_class = MemberImporter
    job_kind = MEMBER_IMPORT_KIND
    template_name = "members/io/import.html"
    job_url_name = "members:member_import_job"
    template_url_name = "members:member_import_template"
    list_url_name = "members:member_list"


class MemberImportPageView(_MemberImport, ImportPageView):
    """Upload a roster file, see the dry run (counts, or every error by row and column), then import."""

    job_task = import_members_job
    session_key = SESSION_KEY

    def get_stash_dir(self):
        return STASH_DIR  # looked up at call time (tests move it)


class MemberImportJobView(_MemberImport, ImportJobView):
    """A background member import of the user's (progress, then its result)."""


def example_row(user):
    """A valid example row for the template: a formal member of the first organization the user may fill."""
    example = MemberImporter(user).example()
    return [example[column] for column in MemberImporter.column_names()]


class MemberImportTemplateView(_MemberImport, ImportTemplateView):
    """The header row and one example row, as ``members-template.csv`` or ``.xlsx``."""

    filename = "members-template"
    sheet_title = "members"

    def example_row(self):
        return example_row(self.request.user)  # looked up at call time (tests replace it)


class _MemberActionMixin(LoginRequiredMixin):
    """Anonymous visitors go to the login page; roles without ``member_action`` on members get 403."""

    member_action = "add"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not scope.may_ever(request.user, self.member_action, Member):
            raise PermissionDenied(_("Your role does not give access to this page."))
        return super().dispatch(request, *args, **kwargs)


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
