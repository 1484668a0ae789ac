"""Columns of the organization and member list pages."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import get_language, pgettext_lazy

from members.choices import MemberCategoryChoices
from portal.tables import Column, Table


class OrganizationTable(Table):
    columns = (
        Column("name", _("Name"), link=True),
        Column("code", _("Code")),
        Column("kind", _("Kind")),
        Column("sector", _("Sector")),
        Column("parent.code", _("Parent code"), on_page=False),
        Column("parent.name", _("Parent")),
        Column("term_expires_on", _("Term expires on")),
        Column("is_active", _("Active")),
    )


_CATEGORY_TEXTS = {}


def _category_labels(member):
    # The same few combinations over and over in an export of thousands: each translated once per language.
    key = (get_language(), tuple(member.categories))
    text = _CATEGORY_TEXTS.get(key)
    if text is None:
        labels = dict(MemberCategoryChoices.choices)
        text = ", ".join(str(labels.get(value, value)) for value in member.categories)
        if len(_CATEGORY_TEXTS) < 10_000:
            _CATEGORY_TEXTS[key] = text
    return text


def _transit_and_exit(member):
    if member.left_on:
        return _("Left: {reason}").format(reason=member.get_exit_reason_display())
    if getattr(member, "in_transit", False):
        return _("In transit")
    return ""


class MemberTable(Table):
    """The roster list. ID numbers and phones are masked per row for users without personal-data
    rights on that member (decided in Python from the cached scope: no query per row), on the page
    and in its export alike."""

    columns = (
        Column("name", pgettext_lazy("person", "Name"), link=True),
        Column("gender", _("Gender")),
        Column("shown_id_number", _("ID number"), css="font-monospace"),
        Column("shown_phone", _("Phone"), css="font-monospace"),
        Column("organization.code", _("Organization code"), on_page=False),
        Column("organization.name", _("Organization")),
        Column("status", _("Status")),
        Column(_category_labels, _("Categories")),
        Column("activity_status", _("Activity status")),
        Column("is_pocket", _("Pocket")),
        Column(_transit_and_exit, _("Transfer or exit")),
    )

    def prepare(self, member):
        member.shown_id_number = member.id_number_for(self.user)
        member.shown_phone = member.phone_for(self.user)
        return member


class TransferLetterTable(Table):
    columns = (
        Column("letter_number", _("Letter number"), link=True),
        Column("member.name", _("Member")),
        Column("from_organization.code", _("From (code)"), on_page=False),
        Column("from_organization.name", _("From")),
        Column("destination", _("To")),
        Column("issued_on", _("Issued on")),
        Column("valid_until", _("Valid until")),
        Column("current_status", _("Status")),
    )
