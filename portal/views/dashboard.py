"""The dashboard (home page), the rollup runs page and the statistics reports.

Everything here reads rollup snapshots (``portal.rollups``), never counts rows: the dashboard of
the whole city costs the same few queries as a branch's. Which organization a user sees is decided
by ``restrict(..., "view_stats")``: their subtree only, 404 outside.
"""

import datetime
import re

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import ListView

from portal import scope
from portal.api.stats import VIEW_STATS, may_start_rollup, stats_organization
from portal.dashboard import chart, dashboard_contributions, key_figure
from portal.export import ExportColumn, export_response
from portal.models import RollupFigure, RollupRun
from portal.rollups import contributors, engine, get_contributor, nest
from portal.views.pages import HomeView
from portal.views.redirects import redirect_to_next

TREND_POINTS = 24
OVERDUE_LIMIT = 10


def organization_model():
    return apps.get_model("members", "Organization")


def list_url(url_name, **params):
    """The URL of a filtered list page, or None when no app serves that page."""
    try:
        base = reverse(url_name)
    except NoReverseMatch:
        return None
    return "{}?{}".format(base, urlencode(params)) if params else base


def stats_tops(user):
    """The highest organizations whose statistics ``user`` may read (the dashboard's choices)."""
    visible = scope.restrict(organization_model().objects.all(), user, VIEW_STATS)
    return list(scope.tops(visible, user).order_by("path"))


def month_before(day):
    """The same day one month earlier (the last day of that month when it is shorter)."""
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    for candidate in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, candidate)
        except ValueError:
            continue
    raise ValueError(day)


def figures_of(run, organization):
    """Every figure set of ``organization`` in ``run`` as nested counts, zeros for missing sets (one query)."""
    sets = {contributor.figure_set: contributor.zeros() for contributor in contributors() if not contributor.keyed}
    if run is not None:
        for figure_set, values in RollupFigure.objects.filter(
            run=run, organization=organization, figure_set__in=list(sets), key=""
        ).values_list("figure_set", "values"):
            sets[figure_set] = engine.decode(run, figure_set, values)
    return {name: nest(counts) for name, counts in sets.items()}


def _member_choices(field):
    model_field = apps.get_model("members", "Member")._meta.get_field(field)
    return getattr(model_field, "base_field", model_field).choices


def _chart_rows(counts, choices):
    """(label, value) rows of one group of figures (members by category...), in the choices' order."""
    return [(str(label), counts.get(value, 0)) for value, label in choices]


class DashboardView(HomeView):
    """Key figures of the user's scope with their change over a month, charts, the trend over the
    snapshots, organizations past their term, and the last rollup (with a button to run one)."""

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
        run = RollupRun.objects.snapshot()
        previous = None
        if run is not None:
            previous = RollupRun.objects.snapshot(month_before(timezone.localdate(run.started_at)))
        figures = figures_of(run, organization)
        before = figures_of(previous, organization) if previous else None
        charts = self.charts(organization, figures) if run else []
        key_figures = self.key_figures(organization, figures, before)
        for contribution in dashboard_contributions():
            if contribution.key_figures:
                key_figures += contribution.key_figures(self.request, organization)
            if contribution.charts and run:
                charts += contribution.charts(self.request, organization, run)
        trend = self.trend(organization) if run else None
        chart_data = {
            item["name"]: {"type": item["type"], "title": str(item["title"]), "labels": item["labels"], "values": item["values"]}
            for item in charts + ([trend] if trend else [])
        }
        context.update(
            {
                "organization": organization,
                "tops": tops,
                "run": run,
                "previous_run": previous,
                "in_progress": RollupRun.objects.in_progress().order_by("-pk").first(),
                "may_start_rollup": may_start_rollup(user),
                "key_figures": key_figures,
                "charts": charts,
                "trend": trend,
                "chart_data": chart_data,
                "overdue": self.overdue(organization),
                "report_sets": [c for c in contributors() if not c.keyed],
            }
        )
        return context

    def key_figures(self, organization, figures, before):
        within = organization.code
        organizations = list_url("members:organization_list", within=within)
        members = list_url("members:member_list", within=within)

        def members_where(**params):
            return list_url("members:member_list", within=within, **params)

        rows = [
            ("organizations", _("Organizations"), ("organizations", "total"), organizations),
            (
                "term_overdue",
                _("Term overdue"),
                ("organizations", "term_overdue"),
                list_url("members:organization_list", within=within, term_overdue="true"),
            ),
            ("members", _("Members"), ("members", "total"), members),
            ("formal", _("Formal members"), ("members", "by_status", "formal"), members_where(status="formal")),
            (
                "probationary",
                _("Probationary members"),
                ("members", "by_status", "probationary"),
                members_where(status="probationary"),
            ),
            (
                "lost_contact",
                _("Lost contact"),
                ("members", "by_activity_status", "lost_contact"),
                members_where(activity_status="lost_contact"),
            ),
            ("pocket", _("Pocket members"), ("members", "pocket"), members_where(is_pocket="true")),
        ]

        def dig(data, keys):
            for key in keys:
                data = data.get(key, 0) if isinstance(data, dict) else 0
            return data

        result = []
        for name, label, keys, url in rows:
            value = dig(figures, keys)
            change = value - dig(before, keys) if before is not None else None
            result.append(key_figure(name, label, value, url, change))
        return result

    def charts(self, organization, figures):
        charts = []
        for name, title, field, kind in (
            ("by_category", _("Members by category"), "categories", "bar"),
            ("by_status", _("Members by status"), "status", "doughnut"),
            ("by_activity_status", _("Members by activity status"), "activity_status", "bar"),
        ):
            rows = _chart_rows(figures["members"].get(name, {}), _member_choices(field))
            charts.append(chart(organization, name, title, kind, rows))
        return charts

    def trend(self, organization):
        """Members and organizations at each of the latest snapshots, oldest first (one query)."""
        points = list(
            RollupFigure.objects.filter(
                organization=organization, figure_set="members", key="", run__status="succeeded"
            )
            .order_by("-run__started_at")
            .values_list("run__started_at", "run__figure_names", "values")[:TREND_POINTS]
        )
        points.reverse()
        rows = [
            (timezone.localtime(taken).strftime("%Y-%m-%d %H:%M"), dict(zip(names.get("members", []), values)).get("total", 0))
            for taken, names, values in points
        ]
        return chart(organization, "trend", _("Members over time"), "line", rows)

    def overdue(self, organization):
        visible = scope.restrict(organization_model().objects.all(), self.request.user, VIEW_STATS)
        overdue = visible.filter(path__startswith=organization.path).term_overdue().order_by("term_expires_on")
        return {
            "rows": list(overdue[:OVERDUE_LIMIT]),
            "url": list_url("members:organization_list", within=organization.code, term_overdue="true"),
            "limit": OVERDUE_LIMIT,
        }


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
        dashboard = DashboardView(request=request)
        run = RollupRun.objects.snapshot()
        if run is None:
            raise Http404(_("No statistics snapshot has been taken yet."))
        if table == "trend":
            found = dashboard.trend(organization)
        else:
            candidates = dashboard.charts(organization, figures_of(run, organization))
            for contribution in dashboard_contributions():
                if contribution.charts:
                    candidates += contribution.charts(request, organization, run)
            found = next((c for c in candidates if c["name"] == table), None)
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
