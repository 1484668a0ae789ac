"""The member roster's import: one declaration on the portal's importer (``portal.importer``).

The columns and the row rule are the roster's (``members.io.rules``); rows match current members by
ID number, and a match updates that member. What is the roster's own beyond the declaration:

* a row whose ID number a current member outside the caller's scope holds is refused in neutral
  words, recorded as a ``RegistrationRefusal`` and counted against the caller's allowance
  (``members.models.refusals``); a file with more such rows than the allowance left is refused as
  a whole (``ImportRateLimited``), without saying which rows;
* the activity status dates from when it last changed (``activity_status_since``), as
  ``Member.save()`` does.
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.io import rules
from members.models import Member, Organization
from members.models.members import ID_NUMBER_REFUSED_MESSAGE
from members.models.refusals import (
    RegistrationLimitReached,
    RegistrationRefusal,
    RegistrationSourceChoices,
    check_registration_allowed,
    limit_retry_after,
    remaining_refusals,
)
from members.validators import credit_code_check_character, id_number_check_character
from portal import scope
from portal.importer import MAX_ERRORS, CellError, Importer, ImportRefused, ImportResult  # noqa: F401

IMPORT_TABLE = "member_import_rows"
_TRACKS_ACTIVITY_SINCE = any(f.name == "activity_status_since" for f in Member._meta.concrete_fields)


class ImportRateLimited(RegistrationLimitReached, ImportRefused):
    """The import is refused as a whole: the caller was refused too many registrations lately, or
    the file holds more rows of members outside their scope than they have refusals left. Nothing
    is written and no row is answered. The API answers 429 ``{"detail": message}`` with a
    ``Retry-After`` header of ``retry_after`` seconds; the page shows the message (status 429)."""


def importable_organizations(user):
    """``{code: id}`` of the organizations ``user`` may add members to (the import's scope)."""
    allowed = scope.restrict(Organization.objects.all(), user, "add", for_model=Member)
    return dict(allowed.values_list("code", "id"))


class MemberImporter(Importer):
    """Party members from a roster file (API.md "Import"), matched to current members by ID number."""

    model = Member
    columns = rules.MEMBER_COLUMNS
    match_key = "id_number"
    audit_source = "members.import"
    table_name = IMPORT_TABLE
    hidden_match_columns = ("organization_id",)
    duplicate_message = gettext_lazy("The same ID number is already on row {row}.")
    hidden_match_message = ID_NUMBER_REFUSED_MESSAGE
    conflict_message = gettext_lazy(
        "The roster changed while importing (an ID number was taken meanwhile); please run the import again."
    )

    def run(self, uploaded, dry_run=False):
        try:
            check_registration_allowed(self.user)
        except RegistrationLimitReached as limit:
            raise ImportRateLimited(limit.retry_after) from None
        self.refused = []
        try:
            return super().run(uploaded, dry_run=dry_run)
        finally:
            # After the import's transaction (rolled back when rows are refused): the record stays.
            RegistrationRefusal.record(self.user, RegistrationSourceChoices.IMPORT, self.refused)

    def prepare(self):
        self.organizations = importable_organizations(self.user)

    def parse_organization(self, code):
        """An organization code the caller may add members to (one outside that scope is reported
        exactly like an unknown one)."""
        organization_id = self.organizations.get(code)
        if organization_id is None:
            raise CellError(_("No organization with code {code} in your scope.").format(code=code))
        return organization_id

    def row_rule(self, values, errors):
        rules.member_row_rule(self.today, values, errors)

    def match_queryset(self):
        return Member.objects.current().exclude(id_number="")

    def visible_queryset(self):
        return super().visible_queryset().select_related("organization")

    def matched_message(self, member):
        return _("{name} of {organization} has this ID number; you may not change them.").format(
            name=member.name, organization=member.organization.name
        )

    def hidden_matches(self, rows):
        self.refused.extend((id_number, organization_id) for _row, id_number, organization_id in rows)
        if len(rows) > remaining_refusals(self.user):
            raise ImportRateLimited(limit_retry_after(timezone.now()))

    def update_assignments(self):
        if not _TRACKS_ACTIVITY_SINCE:
            return []
        # What Member.save() does: the activity status dates from when it last changed.
        return [
            (
                "activity_status_since = CASE WHEN m.activity_status = t.activity_status"
                " THEN m.activity_status_since ELSE %s END",
                [self.today],
            )
        ]

    def insert_values(self):
        return {"activity_status_since": ("%s", [self.today])} if _TRACKS_ACTIVITY_SINCE else {}

    def example(self):
        first17 = "35010219900307123"
        credit17 = "91350200MA2Y00001"
        codes = sorted(importable_organizations(self.user))
        return {
            "name": _("Zhang San"),
            "gender": "male",
            "birth_date": "1990-03-07",
            "id_number": first17 + id_number_check_character(first17),
            "phone": "13800138000",
            "organization": codes[0] if codes else "BRANCH_CODE",
            "status": "formal",
            "joined_on": "2015-07-01",
            "full_member_on": "2016-07-01",
            "categories": "enterprise;mobile",
            "activity_status": "normal",
            "enterprise": credit17 + credit_code_check_character(credit17),
            "is_pocket": "false",
        }


def import_members(uploaded, user, dry_run=False):
    """Import ``uploaded`` (a CSV or XLSX file object) as ``user``; returns an ``ImportResult``.

    Raises ``ImportRateLimited`` when the caller may import no one for now (see the class)."""
    return MemberImporter(user).run(uploaded, dry_run=dry_run)
