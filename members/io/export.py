"""The member roster as a CSV or XLSX file: the columns of the import (an export can be edited and
imported again), ID numbers and phones masked for whoever may not see that member's personal data."""

from django.utils.translation import gettext_lazy as _

from members.models import Member
from members.validators import mask_id_number, mask_phone
from portal import scope
from portal.export import ExportColumn, export_response


def personal_data_check(user):
    """A function ``member -> bool``: may ``user`` see this member's ID number and phone?

    Answered in Python from the user's grants (already loaded once per request) and the member's
    organization (selected with the row), so 100,000 rows cost no extra query.
    """
    cache = {}

    def may_see(member):
        organization = member.organization
        allowed = cache.get(organization.pk)
        if allowed is None:
            allowed = cache[organization.pk] = scope.allows(user, "view_personal", Member, organization)
        return allowed

    return may_see


def member_columns(user):
    """The export's columns; personal data masked per row where ``user`` lacks ``view_personal``."""
    may_see = personal_data_check(user)

    def id_number(member):
        return member.id_number if may_see(member) else mask_id_number(member.id_number)

    def phone(member):
        return member.phone if may_see(member) else mask_phone(member.phone)

    return [
        ExportColumn("id", _("ID"), "pk"),
        ExportColumn("name", _("name")),
        ExportColumn("gender", _("gender")),
        ExportColumn("birth_date", _("birth date")),
        ExportColumn("id_number", _("ID number"), id_number),
        ExportColumn("phone", _("phone"), phone),
        ExportColumn("organization", _("organization"), "organization.code"),
        ExportColumn("status", _("status")),
        ExportColumn("joined_on", _("joined on")),
        ExportColumn("full_member_on", _("full member on")),
        ExportColumn("categories", _("categories")),
        ExportColumn("activity_status", _("activity status")),
        ExportColumn("enterprise", _("workplace credit code")),
        ExportColumn("is_pocket", _("pocket member")),
    ]


def export_members(queryset, user, file_format):
    """``queryset`` (restricted to what ``user`` may view, filtered) as a download."""
    queryset = queryset.select_related("organization").order_by("organization__path", "name", "pk")
    return export_response(queryset, member_columns(user), file_format, "members", title=_("Party members"))
