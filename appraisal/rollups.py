"""The appraisal figures rolled up the tree by ``portal.rollups`` (figure set ``appraisal``, keyed by round).

Per organization and round: ``rated``, ``by_rating.<rating>`` (all four) and
``by_status.<status>``. A rating counts at the organization it was entered under
(``appraisal_rating.organization_id``), not where the member is now. One pass over the ratings
with one ``GROUP BY`` (``FILTER`` clauses count the ratings and statuses side by side); the
engine adds the counts up the tree. Served by ``/api/v1/stats/appraisal/`` (``appraisal.api.stats``).
"""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from appraisal.choices import RatingChoices, RatingStatusChoices
from portal.rollups import Contributor

FIGURES = (
    [("rated", _("Rated"))]
    + [("by_rating.{}".format(value), label) for value, label in RatingChoices.choices]
    + [("by_status.{}".format(value), format_lazy("{}: {}", _("Status"), label)) for value, label in RatingStatusChoices.choices]
)

SQL = (
    "SELECT organization_id, round_id::text, count(*), "
    + ", ".join("count(*) FILTER (WHERE rating = %s)" for _value in RatingChoices.values)
    + ", "
    + ", ".join("count(*) FILTER (WHERE status = %s)" for _value in RatingStatusChoices.values)
    + " FROM appraisal_rating GROUP BY organization_id, round_id"
)

# Declared in AppraisalConfig.rollup_contributors.
APPRAISAL = Contributor(
    figure_set="appraisal",
    label=_("Democratic appraisal"),
    keyed=True,
    figures=[name for name, _label in FIGURES],
    labels=dict(FIGURES),
    sql=SQL,
    params=RatingChoices.values + RatingStatusChoices.values,
)
