"""The members' part of the dashboard: key figures of the tree and the roster with their change over a
month, the members by category, status and activity status, the members over the snapshots, and the
organizations past their term of office. Everything is read from rollup snapshots, never counted."""

from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Member, Organization
from portal import scope
from portal.api.stats import VIEW_STATS
from portal.dashboard import DashboardPart, chart, key_figure, list_url
from portal.models import RollupFigure

TREND_POINTS = 24
OVERDUE_LIMIT = 10


def _member_choices(field):
    model_field = Member._meta.get_field(field)
    return getattr(model_field, "base_field", model_field).choices


def _dig(data, keys):
    for key in keys:
        data = data.get(key, 0) if isinstance(data, dict) else 0
    return data


def key_figures(dashboard):
    within = dashboard.organization.code

    def members_where(**params):
        return list_url("members:member_list", within=within, **params)

    rows = [
        ("organizations", _("Organizations"), ("organizations", "total"), list_url("members:organization_list", within=within)),
        (
            "term_overdue",
            _("Term overdue"),
            ("organizations", "term_overdue"),
            list_url("members:organization_list", within=within, term_overdue="true"),
        ),
        ("members", _("Members"), ("members", "total"), members_where()),
        ("formal", _("Formal members"), ("members", "by_status", "formal"), members_where(status="formal")),
        ("probationary", _("Probationary members"), ("members", "by_status", "probationary"), members_where(status="probationary")),
        (
            "lost_contact",
            _("Lost contact"),
            ("members", "by_activity_status", "lost_contact"),
            members_where(activity_status="lost_contact"),
        ),
        ("pocket", _("Pocket members"), ("members", "pocket"), members_where(is_pocket="true")),
    ]
    figures, before = dashboard.figures, dashboard.before
    result = []
    for name, label, keys, url in rows:
        value = _dig(figures, keys)
        change = value - _dig(before, keys) if before is not None else None
        result.append(key_figure(name, label, value, url, change))
    return result


def charts(dashboard):
    members = dashboard.figures["members"]
    result = []
    for name, title, field, kind in (
        ("by_category", _("Members by category"), "categories", "bar"),
        ("by_status", _("Members by status"), "status", "doughnut"),
        ("by_activity_status", _("Members by activity status"), "activity_status", "bar"),
    ):
        rows = [(str(label), members.get(name, {}).get(value, 0)) for value, label in _member_choices(field)]
        result.append(chart(dashboard.organization, name, title, kind, rows))
    return result


def trend(dashboard):
    """Members at each of the latest snapshots, oldest first (one query)."""
    points = list(
        RollupFigure.objects.filter(
            organization=dashboard.organization, figure_set="members", key="", run__status="succeeded"
        )
        .order_by("-run__started_at")
        .values_list("run__started_at", "run__figure_names", "values")[:TREND_POINTS]
    )
    points.reverse()
    rows = [
        (timezone.localtime(taken).strftime("%Y-%m-%d %H:%M"), dict(zip(names.get("members", []), values)).get("total", 0))
        for taken, names, values in points
    ]
    return chart(dashboard.organization, "trend", _("Members over time"), "line", rows)


def context(dashboard):
    """The organizations of the subtree past their term of office, soonest expired first."""
    organization = dashboard.organization
    visible = scope.restrict(Organization.objects.all(), dashboard.user, VIEW_STATS)
    overdue = visible.filter(path__startswith=organization.path).term_overdue().order_by("term_expires_on")
    return {
        "overdue": {
            "rows": list(overdue[:OVERDUE_LIMIT]),
            "url": list_url("members:organization_list", within=organization.code, term_overdue="true"),
            "limit": OVERDUE_LIMIT,
        }
    }


part = DashboardPart("members", key_figures=key_figures, charts=charts, trend=trend, context=context, order=100)
