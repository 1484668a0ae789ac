"""What apps add to the dashboard: key figures, charts and panels, declared as ``dashboard_parts``.

``portal`` never imports an app; an app that has something for the dashboard declares a
``DashboardPart`` on its AppConfig (``dashboard_parts = ["members.dashboard.part"]``, collected at
start-up). Each of a part's functions receives the ``Dashboard`` being built (the request, the
organization shown, the snapshot run and the figures already read) and returns

* ``key_figures(dashboard)``: a list of ``key_figure(...)`` dicts (cards on top);
* ``charts(dashboard)``: a list of ``chart(...)`` dicts (a Chart.js chart with a PNG download and its
  table as XLSX); only called when a snapshot exists;
* ``trend(dashboard)``: one ``chart(...)`` over the snapshots (the first part that has one wins);
* ``context(dashboard)``: extra template context (e.g. the organizations past their term).

Each function should cost a constant, small number of queries, whatever the subtree's size: the
figures of every unkeyed set are read once for all parts (``dashboard.figures``, ``dashboard.before``).
"""

import datetime
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Optional

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode


@dataclass
class DashboardPart:
    name: str
    key_figures: Optional[Callable] = None
    charts: Optional[Callable] = None
    trend: Optional[Callable] = None
    context: Optional[Callable] = None
    order: int = 100


_parts = []


def register_dashboard(part):
    if any(existing.name == part.name for existing in _parts):
        return
    _parts.append(part)
    _parts.sort(key=lambda item: item.order)


def dashboard_parts():
    return list(_parts)


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
    """Every unkeyed figure set of ``organization`` in ``run`` as nested counts, zeros for missing sets (one query)."""
    from portal.models import RollupFigure
    from portal.rollups import contributors, engine, nest

    sets = {contributor.figure_set: contributor.zeros() for contributor in contributors() if not contributor.keyed}
    if run is not None:
        for figure_set, values in RollupFigure.objects.filter(
            run=run, organization=organization, figure_set__in=list(sets), key=""
        ).values_list("figure_set", "values"):
            sets[figure_set] = engine.decode(run, figure_set, values)
    return {name: nest(counts) for name, counts in sets.items()}


class Dashboard:
    """The dashboard of one organization as the parts see it; what they share is read once, when first used."""

    def __init__(self, request, organization, run):
        self.request = request
        self.user = request.user
        self.organization = organization
        self.run = run

    @cached_property
    def previous(self):
        """The snapshot about a month older than ``run`` (changes are against it), or None."""
        from portal.models import RollupRun

        if self.run is None:
            return None
        return RollupRun.objects.snapshot(month_before(timezone.localdate(self.run.started_at)))

    @cached_property
    def figures(self):
        return figures_of(self.run, self.organization)

    @cached_property
    def before(self):
        return figures_of(self.previous, self.organization) if self.previous else None

    def key_figures(self):
        return [figure for part in _parts if part.key_figures for figure in part.key_figures(self)]

    def charts(self):
        if self.run is None:
            return []
        return [item for part in _parts if part.charts for item in part.charts(self)]

    def trend(self):
        if self.run is None:
            return None
        return next((part.trend(self) for part in _parts if part.trend), None)

    def context(self):
        extra = {}
        for part in _parts:
            if part.context:
                extra.update(part.context(self))
        return extra


def list_url(url_name, **params):
    """The URL of a filtered list page, or None when no app serves that page."""
    try:
        base = reverse(url_name)
    except NoReverseMatch:
        return None
    return "{}?{}".format(base, urlencode(params)) if params else base


def key_figure(name, label, value, url=None, change=None):
    """One card of the dashboard's key figures."""
    return {"name": name, "label": label, "value": value, "change": change, "url": url}


def chart(organization, name, title, kind, rows):
    """One dashboard chart: ``rows`` are (label, value) pairs; ``kind`` a Chart.js type."""
    rows = [(str(label), value) for label, value in rows]
    return {
        "name": name,
        "title": title,
        "type": kind,
        "rows": rows,
        "labels": [label for label, _value in rows],
        "values": [value for _label, value in rows],
        "xlsx": "{}?{}".format(reverse("dashboard_table"), urlencode({"org": organization.code, "table": name})),
    }
