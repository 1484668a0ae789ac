"""Columns of the appraisal list pages."""

from django.utils.translation import gettext_lazy as _

from portal.tables import Column, Table


class AppraisalRoundTable(Table):
    columns = (
        Column("name", _("Name"), link=True),
        Column("year", _("Year")),
        Column("organization.code", _("Organization code"), on_page=False),
        Column("organization.name", _("Organization")),
        Column("opens_on", _("Opens on")),
        Column("closes_on", _("Closes on")),
        Column("participant_count", _("Participants")),
        Column("status", _("Status")),
    )


class DisposalDecisionTable(Table):
    columns = (
        Column("rating.member.name", _("Member"), link=True),
        Column("organization.code", _("Organization code"), on_page=False),
        Column("organization.name", _("Organization")),
        Column("rating.round.name", _("Round")),
        Column("kind", _("Disposal")),
        Column("review_on", _("Review on")),
        # Only a limited-time correction is reviewed.
        Column(
            lambda decision: decision.get_review_outcome_display() if decision.kind == "limited_correction" else "",
            _("Review outcome"),
        ),
        Column("committee_approved_on", _("Approved by the higher committee on")),
    )
