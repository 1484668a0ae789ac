"""The round's report (XLSX): the annual party statistics table on democratic appraisal.

One row per organization that has ratings (counted where each rating was entered), plus a total
row: members appraised, the count of each rating, and how the unqualified were disposed of.
Headers are in the user's language. Written by ``portal.export.TitledReport``, so an organization
or round named like a formula is a text cell.
"""

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from appraisal.choices import DisposalKindChoices, RatingChoices
from appraisal.models import DisposalDecision, Rating
from members.models import Organization
from portal import scope
from portal.export import TitledReport


def report_rows(appraisal_round, user):
    """``(organization, appraised, {rating: n})`` per organization the user may see, in tree order (one query)."""
    visible = scope.restrict(Organization.objects.all(), user, "view")
    counts = {value: Count("pk", filter=Q(rating=value)) for value in RatingChoices.values}
    rows = (
        Rating.objects.filter(round=appraisal_round, organization__in=visible)
        .values("organization__code", "organization__name", "organization__path")
        .annotate(appraised=Count("pk"), **counts)
        .order_by("organization__path")
    )
    return list(rows)


def disposal_counts(appraisal_round, user):
    """``{organization code: {disposal kind: n}}`` for the organizations the user may see (one query)."""
    visible = scope.restrict(Organization.objects.all(), user, "view")
    counts = {}
    for code, kind, n in (
        DisposalDecision.objects.filter(rating__round=appraisal_round, organization__in=visible)
        .values_list("organization__code", "kind")
        .annotate(n=Count("pk"))
    ):
        counts.setdefault(code, {})[kind] = n
    return counts


def round_report(appraisal_round, user):
    """The report as XLSX bytes: title, the round's organization, then one row per organization and the total."""
    figures = len(RatingChoices.values) + len(DisposalKindChoices.values)
    columns = (
        [(_("Code"), 16), (_("Organization"), 40), (_("Members appraised"), 14)]
        + [(label, 14) for _value, label in RatingChoices.choices]
        + [(label, 14) for _value, label in DisposalKindChoices.choices]
    )
    report = TitledReport(
        _("Democratic appraisal of party members: {round}").format(round=appraisal_round),
        columns,
        lines=[_("Organization: {name}").format(name=appraisal_round.organization.name)],
        sheet=_("Democratic appraisal"),
        totals=range(2, 3 + figures),
        totals_label=_("Total"),
        totals_label_column=1,
    )
    disposals = disposal_counts(appraisal_round, user)
    for row in report_rows(appraisal_round, user):
        disposed = disposals.get(row["organization__code"], {})
        report.add(
            [row["organization__code"], row["organization__name"], row["appraised"]]
            + [row[value] for value in RatingChoices.values]
            + [disposed.get(value, 0) for value in DisposalKindChoices.values]
        )
    return report.content()
