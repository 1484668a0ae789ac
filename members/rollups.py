"""The figures of organizations and members, rolled up the tree by ``portal.rollups``.

Two figure sets (served by ``/api/v1/stats/organizations/`` and ``/api/v1/stats/members/``):

* ``organizations``: every organization counts itself: ``total``, ``by_kind.<kind>``, and
  ``term_overdue`` (active, term of office run out on the day of the run);
* ``members``: CURRENT members only (``left_on IS NULL``): ``total``, ``by_status.<status>``,
  ``by_category.<category>`` (a member in several categories counts in each),
  ``by_activity_status.<status>`` and ``pocket``.

Each is one pass over its table with one ``GROUP BY`` organization (``FILTER`` clauses count the
kinds side by side); the engine adds the counts up the tree.
"""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from members.choices import (
    ActivityStatusChoices,
    MemberCategoryChoices,
    MemberStatusChoices,
    OrganizationKindChoices,
)
from portal.rollups import Contributor


def _grouped(prefix, group_label, choices):
    """Figure names and labels for one count per choice: ``by_status.formal`` → "Status: Formal"."""
    return [
        ("{}.{}".format(prefix, value), format_lazy("{}: {}", group_label, label)) for value, label in choices.choices
    ]


ORGANIZATION_FIGURES = (
    [("total", _("Organizations"))]
    + _grouped("by_kind", _("Kind"), OrganizationKindChoices)
    + [("term_overdue", _("Term overdue"))]
)


def organizations_sql(context):
    kinds = OrganizationKindChoices.values
    sql = (
        "SELECT id, 1, "
        + ", ".join("(kind = %s)::int" for _kind in kinds)
        + ", COALESCE(is_active AND term_expires_on < %s, false)::int FROM members_organization"
    )
    # Every organization is its own leaf row, so no GROUP BY is needed here.
    return sql, kinds + [context.today]


MEMBER_FIGURES = (
    [("total", _("Members"))]
    + _grouped("by_status", _("Status"), MemberStatusChoices)
    + _grouped("by_category", _("Category"), MemberCategoryChoices)
    + _grouped("by_activity_status", _("Activity status"), ActivityStatusChoices)
    + [("pocket", _("Pocket members"))]
)


def members_sql(context):
    statuses = MemberStatusChoices.values
    categories = MemberCategoryChoices.values
    activities = ActivityStatusChoices.values
    counts = (
        ["count(*)"]
        + ["count(*) FILTER (WHERE status = %s)" for _value in statuses]
        + ["count(*) FILTER (WHERE %s = ANY(categories))" for _value in categories]
        + ["count(*) FILTER (WHERE activity_status = %s)" for _value in activities]
        + ["count(*) FILTER (WHERE is_pocket)"]
    )
    sql = (
        "SELECT organization_id, "
        + ", ".join(counts)
        + " FROM members_member WHERE left_on IS NULL GROUP BY organization_id"
    )
    return sql, statuses + categories + activities


# Declared in MembersConfig.rollup_contributors.
ORGANIZATIONS = Contributor(
    figure_set="organizations",
    label=_("Organizations"),
    figures=[name for name, _label in ORGANIZATION_FIGURES],
    labels=dict(ORGANIZATION_FIGURES),
    sql=organizations_sql,
)
MEMBERS = Contributor(
    figure_set="members",
    label=_("Members"),
    figures=[name for name, _label in MEMBER_FIGURES],
    labels=dict(MEMBER_FIGURES),
    sql=members_sql,
)
