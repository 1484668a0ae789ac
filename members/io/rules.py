"""The roster's rules applied to one imported row, in plain Python so 100,000 rows check in seconds.

The rules and their messages are the roster's own: after parsing (required fields, the choices of
``members.choices``, the field lengths of ``Member``, dates, organization codes in scope) each row
runs ``Member.clean()`` (GB 11643 ID numbers and GB 32100 credit codes, birth date and gender as
written in the ID number, a formal member's ``full_member_on`` after ``joined_on``, ...). What only the database knows (whether an
ID number belongs to a current member, and whether the caller may change that member) is checked
afterwards in SQL by ``members.io.importer``.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from members.choices import ActivityStatusChoices, GenderChoices, MemberCategoryChoices, MemberStatusChoices
from members.models import Member

# API.md "Import": the header row, in any order.
COLUMNS = (
    "name",
    "gender",
    "birth_date",
    "id_number",
    "phone",
    "organization",
    "status",
    "joined_on",
    "full_member_on",
    "categories",
    "activity_status",
    "enterprise",
    "is_pocket",
)
CATEGORY_SEPARATOR = ";"
TRUE_WORDS = frozenset({"true", "1", "是", "yes", "y"})
FALSE_WORDS = frozenset({"false", "0", "否", "no", "n", ""})
# Excel and WPS often show dates as 2020/1/5 or 2020年1月5日; accept them beside ISO dates.
_LOOSE_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")

_GENDERS = frozenset(GenderChoices.values)
_STATUSES = frozenset(MemberStatusChoices.values)
_CATEGORIES = frozenset(MemberCategoryChoices.values)
_ACTIVITY_STATUSES = frozenset(ActivityStatusChoices.values)
_MAX_LENGTH = {
    name: Member._meta.get_field(name).max_length for name in ("name", "phone", "id_number", "enterprise")
}


def parse_date(text):
    """A date from ``YYYY-MM-DD`` (or ``YYYY/M/D``, ``YYYY年M月D日``), None when it is not one."""
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        match = _LOOSE_DATE.match(text)
        if match:
            try:
                return datetime.date(*(int(part) for part in match.groups()))
            except ValueError:
                return None
    return None


def header_errors(header):
    """``(positions, errors)``: the index of each column in the header, and an error (row 0, the
    header) for each column of API.md the header lacks."""
    positions = {}
    for index, name in enumerate(header):
        if name in COLUMNS and name not in positions:
            positions[name] = index
    errors = [
        {"row": 0, "field": name, "message": _("The header row has no column {column}.").format(column=name)}
        for name in COLUMNS
        if name not in positions
    ]
    return positions, errors


def _not_checked_here():
    # Uniqueness among current members is checked for the whole file at once, in SQL.
    return False


class RowChecker:
    """Checks rows one by one; remembers the ID numbers seen so far to find duplicates in the file.

    Each row is first parsed field by field (required, choices, lengths, dates, the organization
    code), then the would-be member's own ``Member.clean()`` runs, so the import enforces exactly
    the rules and messages of the roster's forms and API. ``organizations`` maps the codes of the
    organizations the caller may add members to onto their ids: a code outside that scope is
    reported exactly like an unknown one.
    """

    def __init__(self, positions, organizations):
        self.positions = [positions[name] for name in COLUMNS]
        self.width = max(self.positions) + 1
        self.organizations = organizations
        self.seen_id_numbers = {}

    def check(self, number, cells):
        """``(values, errors)``: the row as a tuple for the import table, or None and its errors."""
        if len(cells) < self.width:
            cells = list(cells) + [""] * (self.width - len(cells))
        (
            name,
            gender,
            birth_text,
            id_number,
            phone,
            organization_code,
            status,
            joined_text,
            full_member_text,
            categories_text,
            activity_status,
            enterprise,
            pocket_text,
        ) = (cells[index].strip() for index in self.positions)
        errors = {}

        def error(field, message):
            errors.setdefault(field, message)

        def required(field, value):
            if not value:
                error(field, _("This field is required."))
                return False
            return True

        def fits(field, value):
            limit = _MAX_LENGTH[field]
            if len(value) > limit:
                error(field, _("At most {limit} characters (this has {length}).").format(limit=limit, length=len(value)))
                return False
            return True

        def choice(field, value, allowed):
            if value in allowed:
                return value
            error(field, _("{value} is not one of: {choices}.").format(value=value, choices=", ".join(sorted(allowed))))
            return None

        def date(field, text, needed):
            if not text:
                if needed:
                    error(field, _("This field is required."))
                return None
            value = parse_date(text)
            if value is None:
                error(field, _("{value} is not a date (use YYYY-MM-DD).").format(value=text))
            return value

        if required("name", name):
            fits("name", name)
        gender = choice("gender", gender.lower(), _GENDERS) if required("gender", gender) else None
        birth_date = date("birth_date", birth_text, True)
        if required("id_number", id_number):
            fits("id_number", id_number)
        if phone:
            fits("phone", phone)
        organization_id = None
        if required("organization", organization_code):
            organization_id = self.organizations.get(organization_code)
            if organization_id is None:
                error("organization", _("No organization with code {code} in your scope.").format(code=organization_code))
        status = choice("status", status.lower(), _STATUSES) if required("status", status) else None
        joined_on = date("joined_on", joined_text, True)
        full_member_on = date("full_member_on", full_member_text, False)
        categories = []
        for category in categories_text.split(CATEGORY_SEPARATOR):
            category = category.strip().lower()
            if category and category not in categories:
                categories.append(category)
                choice("categories", category, _CATEGORIES)
        activity_status = choice("activity_status", activity_status.lower() or ActivityStatusChoices.NORMAL, _ACTIVITY_STATUSES)
        pocket_word = pocket_text.lower()
        is_pocket = pocket_word in TRUE_WORDS
        if not is_pocket and pocket_word not in FALSE_WORDS:
            error("is_pocket", _("{value} is not one of: true, false, 1, 0, 是, 否.").format(value=pocket_text))

        candidate = Member(
            name=name,
            gender=gender,
            birth_date=birth_date,
            id_number=id_number,
            phone=phone,
            organization_id=organization_id,
            status=status,
            joined_on=joined_on,
            full_member_on=full_member_on,
            categories=categories,
            activity_status=activity_status,
            enterprise=enterprise,
            is_pocket=is_pocket,
        )
        candidate._id_number_taken = _not_checked_here
        try:
            candidate.clean()
        except ValidationError as problem:
            for field, messages in problem.message_dict.items():
                # A field already reported (unparsable, not a choice) keeps its first, clearer message.
                error(field if field in COLUMNS else "row", messages[0])

        if "id_number" not in errors:
            first_row = self.seen_id_numbers.setdefault(candidate.id_number, number)
            if first_row != number:
                error("id_number", _("The same ID number is already on row {row}.").format(row=first_row))

        if errors:
            return None, [
                {"row": number, "field": field, "message": str(message)} for field, message in errors.items()
            ]
        return (
            number,
            name,
            gender,
            birth_date,
            candidate.id_number,
            candidate.phone,
            organization_id,
            status,
            joined_on,
            full_member_on,
            categories,
            activity_status,
            candidate.enterprise,
            is_pocket,
        ), []
