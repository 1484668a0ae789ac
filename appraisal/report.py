"""The round's report (XLSX): the annual party statistics table on democratic appraisal.

One row per organization that has ratings (counted where each rating was entered), plus a total
row: members appraised, the count of each rating, and how the unqualified were disposed of.
Headers are in the user's language. Rows go through ``portal.spreadsheets.xlsx_cells``, so an
organization or round named like a formula is a text cell.
"""

import io

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from appraisal.choices import DisposalKindChoices, RatingChoices
from appraisal.models import DisposalDecision, Rating
from members.models import Organization
from portal import scope
from portal.spreadsheets import xlsx_cells


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
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Democratic appraisal")[:31]
    sheet.append(xlsx_cells(sheet, [_("Democratic appraisal of party members: {round}").format(round=appraisal_round)]))
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(xlsx_cells(sheet, [_("Organization: {name}").format(name=appraisal_round.organization.name)]))
    sheet.append([])
    header = (
        [_("Code"), _("Organization"), _("Members appraised")]
        + [str(label) for _value, label in RatingChoices.choices]
        + [str(label) for _value, label in DisposalKindChoices.choices]
    )
    sheet.append(xlsx_cells(sheet, header))
    for cell in sheet[4]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    totals = [0] * (1 + len(RatingChoices.values) + len(DisposalKindChoices.values))
    disposals = disposal_counts(appraisal_round, user)
    for row in report_rows(appraisal_round, user):
        disposed = disposals.get(row["organization__code"], {})
        figures = (
            [row["appraised"]]
            + [row[value] for value in RatingChoices.values]
            + [disposed.get(value, 0) for value in DisposalKindChoices.values]
        )
        totals = [a + b for a, b in zip(totals, figures)]
        sheet.append(xlsx_cells(sheet, [row["organization__code"], row["organization__name"]] + figures))
    sheet.append(xlsx_cells(sheet, ["", _("Total")] + totals))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    widths = [16, 40, 14] + [14] * (len(RatingChoices.values) + len(DisposalKindChoices.values))
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A5"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
