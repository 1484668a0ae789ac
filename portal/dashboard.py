"""What apps add to the dashboard: key figures and charts, registered from ``AppConfig.ready()``.

``portal`` never imports an app; an app that has figures for the dashboard registers a
``DashboardContribution`` whose functions receive the request, the organization the dashboard
shows and the snapshot run (None before the first rollup), and return

* ``key_figures(request, organization)``: a list of ``key_figure(...)`` dicts (cards on top);
* ``charts(request, organization, run)``: a list of ``chart(...)`` dicts (a Chart.js chart
  with a PNG download and its table as XLSX).

Each function should cost a constant, small number of queries, whatever the subtree's size.
"""

from dataclasses import dataclass
from typing import Callable, Optional

from django.urls import reverse
from django.utils.http import urlencode


@dataclass
class DashboardContribution:
    name: str
    key_figures: Optional[Callable] = None
    charts: Optional[Callable] = None
    order: int = 100


_contributions = []


def register_dashboard(contribution):
    if any(existing.name == contribution.name for existing in _contributions):
        return
    _contributions.append(contribution)
    _contributions.sort(key=lambda item: item.order)


def dashboard_contributions():
    return list(_contributions)


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
