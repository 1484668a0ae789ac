"""The appraisal's part of the dashboard: ratings awaiting the user's approval, and the rating
distribution of the newest round that concerns the organization shown (from the rollup snapshot)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from appraisal import services
from appraisal.choices import RatingChoices
from appraisal.models import AppraisalRound, Rating
from members.models.organizations import path_ancestors
from portal import scope
from portal.dashboard import DashboardPart, chart, key_figure
from portal.models import RollupFigure
from portal.rollups import engine


def newest_round(user, organization):
    """The newest round the user sees that covers ``organization`` or lies inside its subtree."""
    rounds = AppraisalRound.objects.restrict(user)
    covering = rounds.filter(organization__path__in=path_ancestors(organization.path) + [organization.path])
    inside = rounds.filter(organization__path__startswith=organization.path)
    return (covering | inside).select_related("organization").order_by("-year", "-pk").first()


def key_figures(dashboard):
    if not scope.may_ever(dashboard.user, "view", Rating):
        return []
    ratings = Rating.objects.filter(organization__path__startswith=dashboard.organization.path)
    waiting = services.awaiting_approval_by(dashboard.user, ratings).count()
    return [key_figure("appraisal_pending", _("Ratings awaiting your approval"), waiting, reverse("appraisal:round_list"))]


def charts(dashboard):
    organization, run = dashboard.organization, dashboard.run
    if not scope.may_ever(dashboard.user, "view", Rating):
        return []
    appraisal_round = newest_round(dashboard.user, organization)
    if appraisal_round is None:
        return []
    values = (
        RollupFigure.objects.filter(
            run=run, organization=organization, figure_set="appraisal", key=str(appraisal_round.pk)
        )
        .values_list("values", flat=True)
        .first()
    )
    counts = engine.decode(run, "appraisal", values)
    rows = [(label, counts.get("by_rating." + value, 0)) for value, label in RatingChoices.choices]
    title = _("Appraisal {year}: {name}").format(year=appraisal_round.year, name=appraisal_round.name)
    return [chart(organization, "appraisal_distribution", title, "doughnut", rows)]


# Declared in AppraisalConfig.dashboard_parts.
part = DashboardPart("appraisal", key_figures=key_figures, charts=charts, order=300)
