"""The dashboard (home page), the rollup runs page and the statistics reports.

Everything here reads rollup snapshots (``portal.rollups``), never counts rows: the dashboard of
the whole city costs the same few queries as a branch's. Which organization a user sees is decided
by ``restrict(..., "view_stats")``: their subtree only, 404 outside.
"""

import re

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import ListView

from portal import scope
from portal.api.stats import VIEW_STATS, may_start_rollup, stats_organization
from portal.dashboard import Dashboard
from portal.export import ExportColumn, export_response
from portal.models import RollupFigure, RollupRun
from portal.rollups import contributors, engine, get_contributor
from portal.tree import organization_model
from portal.views.pages import HomeView
from portal.views.redirects import redirect_to_next


def stats_tops(user):
    """The highest organizations whose statistics ``user`` may read (the dashboard's choices)."""
    visible = scope.restrict(organization_model().objects.all(), user, VIEW_STATS)
    return list(scope.tops(visible, user).order_by("path"))


class DashboardView(HomeView):
    """The statistics of the user's scope: what the apps' dashboard parts show (key figures with their
    change over a month, charts, the trend over the snapshots, panels) and the last rollup (with a
    button to run one)."""

    template_name = "portal/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        tops = stats_tops(user)
        code = self.request.GET.get("org")
        if code:
            organization = stats_organization(user, code)
        elif tops:
            organization = tops[0]
        else:
            return context
        dashboard = Dashboard(self.request, organization, RollupRun.objects.snapshot())
        key_figures = dashboard.key_figures()
        charts = dashboard.charts()
        trend = dashboard.trend()
        chart_data = {
            item["name"]: {"type": item["type"], "title": str(item["title"]), "labels": item["labels"], "values": item["values"]}
            for item in charts + ([trend] if trend else [])
        }
        context.update(
            {
                "organization": organization,
                "tops": tops,
                "run": dashboard.run,
                "previous_run": dashboard.previous,
                "in_progress": RollupRun.objects.in_progress().order_by("-pk").first(),
                "may_start_rollup": may_start_rollup(user),
                "key_figures": key_figures,
                "charts": charts,
                "trend": trend,
                "chart_data": chart_data,
                "report_sets": [c for c in contributors() if not c.keyed],
                **dashboard.context(),
            }
        )
        return context


def sheet_title(title):
    """A worksheet name Excel accepts: at most 31 characters, none of : \\ / ? * [ ]."""
    return re.sub(r"[:\\/?*\[\]]", " ", str(title)).strip()[:31] or "Sheet"


class _Rows(list):
    """A list that ``portal.export`` can read like a queryset."""

    def iterator(self, chunk_size=None):
        return iter(self)


class DashboardTableView(LoginRequiredMixin, View):
    """The table behind one dashboard chart, as XLSX (headers in the user's language)."""

    def get(self, request):
        organization = stats_organization(request.user, request.GET.get("org", ""))
        table = request.GET.get("table", "")
        run = RollupRun.objects.snapshot()
        if run is None:
            raise Http404(_("No statistics snapshot has been taken yet."))
        dashboard = Dashboard(request, organization, run)
        found = dashboard.trend() if table == "trend" else next((c for c in dashboard.charts() if c["name"] == table), None)
        if found is None:
            raise Http404(_("Unknown table."))
        columns = [
            ExportColumn("label", gettext_lazy("Item"), lambda row: row[0]),
            ExportColumn("value", gettext_lazy("Count"), lambda row: row[1]),
        ]
        filename = "{}-{}".format(organization.code, table)
        return export_response(
            _Rows(found["rows"]), columns, "xlsx", filename, header="labels", title=sheet_title(found["title"])
        )


class FigureReportView(LoginRequiredMixin, View):
    """One figure set for every organization one level below the chosen one, as XLSX: the table
    a department sends upward. Headers are in the user's language; the last row is the total."""

    def get(self, request):
        organization = stats_organization(request.user, request.GET.get("org", ""))
        try:
            contributor = get_contributor(request.GET.get("set", "members"))
        except LookupError:
            raise Http404(_("Unknown figure set.")) from None
        if contributor.keyed:
            raise Http404(_("Unknown figure set."))
        run = RollupRun.objects.snapshot()
        if run is None:
            raise Http404(_("No statistics snapshot has been taken yet."))
        children = list(
            scope.restrict(organization_model().objects.all(), request.user, VIEW_STATS)
            .filter(parent=organization)
            .order_by("code")
        )
        wanted = [child.pk for child in children] + [organization.pk]
        stored = dict(
            RollupFigure.objects.filter(
                run=run, figure_set=contributor.figure_set, key="", organization_id__in=wanted
            ).values_list("organization_id", "values")
        )
        rows = _Rows()
        for org in children + [organization]:
            rows.append((org, engine.decode(run, contributor.figure_set, stored.get(org.pk), contributor)))
        columns = [
            ExportColumn("code", gettext_lazy("Code"), lambda row: row[0].code),
            ExportColumn("name", gettext_lazy("Organization"), lambda row: row[0].name),
        ] + [
            ExportColumn(name, contributor.label_of(name), lambda row, name=name: row[1][name])
            for name in contributor.figures
        ]
        filename = "{}-{}-{}".format(organization.code, contributor.figure_set, timezone.localdate(run.started_at))
        return export_response(
            rows, columns, "xlsx", filename, header="labels", title=sheet_title(contributor.label or contributor.figure_set)
        )


class RollupRunListView(LoginRequiredMixin, ListView):
    """Every rollup run, newest first, with its timings and outcome."""

    template_name = "portal/rollup_runs.html"
    paginate_by = 50

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not scope.may_ever(request.user, VIEW_STATS, organization_model()):
            raise PermissionDenied(_("Your role does not give access to this page."))
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return RollupRun.objects.select_related("requested_by").order_by("-queued_at", "-pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_start_rollup"] = may_start_rollup(self.request.user)
        return context


class RollupStartView(LoginRequiredMixin, View):
    """The "run a rollup now" button (staff and above): starts one, or reports the one running."""

    def post(self, request):
        if not may_start_rollup(request.user):
            raise PermissionDenied(_("Only organization department staff may start a rollup."))
        run, created = engine.start_rollup(requested_by=request.user)
        if created:
            messages.success(request, _("Rollup run #{id} started.").format(id=run.pk))
        else:
            messages.info(request, _("Rollup run #{id} is already in progress.").format(id=run.pk))
        return redirect_to_next(request, reverse("rollup_runs"))
