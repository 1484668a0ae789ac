"""The round's report as a spreadsheet download."""

from django.http import HttpResponse

from appraisal import report
from appraisal.views.rounds import RoundScopedMixin
from portal.views import generic


class ReportView(RoundScopedMixin, generic.View):
    """The round's report as XLSX: per organization the members appraised and each rating's count."""

    def get(self, request, pk):
        appraisal_round = self.get_round()
        content = report.round_report(appraisal_round, request.user)
        response = HttpResponse(
            content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = 'attachment; filename="appraisal-round-{}.xlsx"'.format(appraisal_round.pk)
        return response
