"""Columns of the organization and member list pages."""

from django.utils.translation import gettext_lazy as _

from portal.tables import Column, Table


class OrganizationTable(Table):
    columns = (
        Column("name", _("Name"), link=True),
        Column("code", _("Code")),
        Column("kind", _("Kind")),
        Column("sector", _("Sector")),
        Column("parent.name", _("Parent")),
        Column("term_expires_on", _("Term expires on")),
        Column("is_active", _("Active")),
    )
