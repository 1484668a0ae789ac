"""The registry of rollup contributors: the plug-in point through which apps add their figures.

How an app adds a figure set (``portal`` never imports the app): it defines a ``Contributor`` and
names it in its AppConfig's ``rollup_contributors`` (``portal.apps.PortalAppConfig``), which
``portal`` collects at start-up::

    # appraisal/rollups.py
    from django.utils.translation import gettext_lazy as _
    from portal.rollups import Contributor

    RATINGS = ["outstanding", "qualified", "basically_qualified", "unqualified"]

    APPRAISAL = Contributor(
        figure_set="appraisal",
        keyed=True,                      # one snapshot per round: the key is the round id
        figures=["rated"] + ["by_rating." + r for r in RATINGS],
        labels={"rated": _("Rated"), "by_rating.outstanding": _("Outstanding"), ...},
        sql=(
            "SELECT organization_id, round_id::text, count(*), "
            + ", ".join("count(*) FILTER (WHERE rating = %s)" for _ in RATINGS)
            + " FROM appraisal_rating GROUP BY organization_id, round_id"
        ),
        params=RATINGS,
    )

    # appraisal/apps.py
    class AppraisalConfig(PortalAppConfig):
        rollup_contributors = ["appraisal.rollups.APPRAISAL"]

The contract of ``sql`` (a string, or a callable ``sql(context) -> (sql, params)`` when it needs
the run's day, e.g. "overdue today"):

* one ``SELECT`` over the app's leaf rows, aggregated per organization with ONE ``GROUP BY``
  (never a query per organization);
* its columns, in order: the organization id the rows belong to; then, if ``keyed``, the key
  (text); then one integer column per entry of ``figures``, in the same order (one
  organization's own counts must fit in 32 bits; the sums up the tree are 64-bit);
* placeholders are ``%s`` (``params`` fills them).

The engine then adds each organization's figures to all its ancestors (by materialized path),
stores them per (run, organization, figure set, key) and serves them through
``portal.rollups.read_figures`` and the statistics API (``portal.api.stats.StatisticsView``:
subclass it with ``figure_set`` and a serializer to publish a set). Figure names with a dot
(``"by_status.formal"``) are nested by ``nest`` into ``{"by_status": {"formal": n}}``.
Every figure is a sum over the subtree; rates are computed when read, from the sums.
"""

import re
from dataclasses import dataclass, field
from datetime import date

_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)?$")


@dataclass(frozen=True)
class RollupContext:
    """What a contributor's SQL may depend on: the run and the local day it is taken on."""

    run_id: int
    today: date
    max_depth: int = 1


@dataclass(frozen=True)
class Contributor:
    """One figure set: named figures and the set-based SQL that counts them per organization."""

    figure_set: str
    figures: tuple
    sql: object
    params: tuple = ()
    keyed: bool = False
    # figure name -> translatable column header (reports, dashboard tables).
    labels: dict = field(default_factory=dict)
    label: str = ""

    def __post_init__(self):
        object.__setattr__(self, "figures", tuple(self.figures))
        object.__setattr__(self, "params", tuple(self.params))
        if not _NAME.match(self.figure_set) or "." in self.figure_set:
            raise ValueError("Bad figure set name {!r}.".format(self.figure_set))
        if not self.figures:
            raise ValueError("Figure set {!r} declares no figures.".format(self.figure_set))
        for name in self.figures:
            if not _NAME.match(name):
                raise ValueError("Bad figure name {!r} in set {!r}.".format(name, self.figure_set))
        if len(set(self.figures)) != len(self.figures):
            raise ValueError("Figure set {!r} names a figure twice.".format(self.figure_set))

    def leaf_sql(self, context):
        """The contributor's ``(sql, params)`` for this run."""
        if callable(self.sql):
            sql, params = self.sql(context)
            return sql, list(params)
        return self.sql, list(self.params)

    def zeros(self):
        return {name: 0 for name in self.figures}

    def label_of(self, name):
        return self.labels.get(name, name)


_contributors = {}


def register(contributor):
    """Add (or replace, when the same app registers again) a figure set. Returns it."""
    _contributors[contributor.figure_set] = contributor
    return contributor


def unregister(figure_set):
    """Remove a figure set (tests that plug in a contributor of their own)."""
    _contributors.pop(figure_set, None)


def contributors():
    """Every registered figure set, in a stable order."""
    return [_contributors[name] for name in sorted(_contributors)]


def get_contributor(figure_set):
    """The contributor of ``figure_set``; LookupError when no app provides it."""
    try:
        return _contributors[figure_set]
    except KeyError:
        raise LookupError("No rollup contributor provides the figure set {!r}.".format(figure_set)) from None


def nest(counts):
    """``{"total": 3, "by_status.formal": 2}`` → ``{"total": 3, "by_status": {"formal": 2}}``."""
    nested = {}
    for name, value in counts.items():
        group, dot, item = name.partition(".")
        if dot:
            nested.setdefault(group, {})[item] = value
        else:
            nested[name] = value
    return nested
