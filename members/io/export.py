"""The member roster as a CSV or XLSX file: the columns of the import (an export can be edited and
imported again), ID numbers and phones masked for whoever may not see that member's personal data."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from members.io.rules import COLUMNS
from portal.export import ExportColumn, export_response


def member_columns(user):
    """The export's columns; the roster's own masking (``Member.id_number_for``/``phone_for``)
    hides ID numbers and phones per row where ``user`` lacks ``view_personal`` on that member."""
    return [
        ExportColumn("id", _("ID"), "pk"),
        ExportColumn("name", pgettext_lazy("person", "name")),  # the field's verbose name: the import reads it back
        ExportColumn("gender", _("gender")),
        ExportColumn("birth_date", _("birth date")),
        ExportColumn("id_number", _("ID number"), lambda member: member.id_number_for(user)),
        ExportColumn("phone", _("phone"), lambda member: member.phone_for(user)),
        ExportColumn("organization", _("organization"), "organization.code"),
        ExportColumn("status", _("status")),
        ExportColumn("joined_on", _("joined on")),
        ExportColumn("full_member_on", _("full member on")),
        ExportColumn("categories", _("categories")),
        ExportColumn("activity_status", _("activity status")),
        ExportColumn("enterprise", _("workplace credit code")),
        ExportColumn("is_pocket", _("pocket member")),
    ]


def export_queryset(queryset):
    """``queryset`` reduced to what the columns and the masking read, in tree order."""
    # Only what the columns and the masking (the organization's path and kind) need: loading the
    # timestamps and the rest of each row would cost more than writing it.
    return (
        queryset.select_related("organization")
        # (Organization.__init__ reads parent_id: deferring it would cost a query per row.)
        .only(*COLUMNS, "organization__code", "organization__path", "organization__kind", "organization__parent")
        .order_by("organization__path", "name", "pk")
    )


def export_members(queryset, user, file_format):
    """``queryset`` (restricted to what ``user`` may view, filtered) as a download."""
    return export_response(
        export_queryset(queryset), member_columns(user), file_format, "members", title=_("Party members")
    )
