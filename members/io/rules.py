"""The roster's rules applied to one imported row, in plain Python so 100,000 rows check in seconds.

The rules and their messages are the roster's own. Each row is parsed (required fields, the choices
of ``members.choices``, the field lengths of ``Member``, dates, organization codes in the caller's
scope), then held against ``Member.clean()``'s rules (GB 11643 ID numbers and GB 32100 credit codes,
birth date and gender as written in the ID number, joining age and dates, a formal member's
``full_member_on`` after ``joined_on``, ...): first by ``passes_member_rules``, plain arithmetic,
and, for a row that fails it, by the real ``Member.clean()``, whose messages are reported.
What is checked across rows or needs the database (the same ID number twice in the file, an ID
number of a current member, and whether the caller may change that member) is checked afterwards
in SQL by ``members.io.importer``.
"""

import datetime
import operator
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from members import validators
from members.choices import ActivityStatusChoices, GenderChoices, MemberCategoryChoices, MemberStatusChoices
from members.models import Member
from members.models.members import _PHONE_PATTERN as _PHONE_SHAPE
from members.models.members import MINIMUM_JOINING_AGE, add_years

# API.md "Import": the header row, in any order. Spelled out rather than derived from
# MEMBER_EDITABLE_FIELDS: the file format is a contract and must not grow when the model does.
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
# ASCII digits only (re.ASCII): int() would read Arabic-Indic digits too; full-width ones are
# folded to ASCII before (validators.ascii_width).
_LOOSE_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$", re.ASCII)

_GENDERS = frozenset(GenderChoices.values)
_STATUSES = frozenset(MemberStatusChoices.values)
_CATEGORIES = frozenset(MemberCategoryChoices.values)
_ACTIVITY_STATUSES = frozenset(ActivityStatusChoices.values)
_NAME_LENGTH = Member._meta.get_field("name").max_length
_ID_LENGTH = Member._meta.get_field("id_number").max_length
_PHONE_LENGTH = Member._meta.get_field("phone").max_length


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


_WEIGHTS = validators._ID_WEIGHTS
_ID_CHECK = validators._ID_CHECK
_ID_SHAPE = validators._ID_PATTERN
_CREDIT_SHAPE = validators._CREDIT_PATTERN
_CREDIT_VALUES = {char: index for index, char in enumerate(validators.CREDIT_CODE_ALPHABET)}
_CREDIT_WEIGHTS = validators._CREDIT_WEIGHTS
_FORMAL = MemberStatusChoices.FORMAL
_PROBATIONARY = MemberStatusChoices.PROBATIONARY


def passes_member_rules(today, gender, birth_date, id_number, phone, status, joined_on, full_member_on, enterprise):
    """Whether ``Member.clean()`` would accept these values (normalized as clean() normalizes them).

    The fast path of the import: plain arithmetic instead of building a model instance per row.
    Whenever it answers False the row is checked again by the real ``Member.clean()``, which gives
    the messages (and has the last word), so this can never make the import stricter than the
    roster; ``tests/members/test_import_rules.py`` checks it never lets through what clean() refuses.
    """
    if not _ID_SHAPE.match(id_number):
        return False
    try:
        id_birth = datetime.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return False
    if id_birth > today or id_birth.year < 1900:
        return False
    if _ID_CHECK[sum(map(operator.mul, map(int, id_number[:17]), _WEIGHTS)) % 11] != id_number[17]:
        return False
    if birth_date is not None and birth_date != id_birth:
        return False
    if gender and ("male" if int(id_number[16]) % 2 else "female") != gender:
        return False
    if phone is not None and not _PHONE_SHAPE.match(phone):
        return False
    if enterprise is not None:
        if not _CREDIT_SHAPE.match(enterprise):
            return False
        total = sum(map(operator.mul, map(_CREDIT_VALUES.__getitem__, enterprise[:17]), _CREDIT_WEIGHTS))
        if validators.CREDIT_CODE_ALPHABET[(31 - total % 31) % 31] != enterprise[17]:
            return False
    if joined_on is not None:
        if joined_on > today:
            return False
        if birth_date is not None and joined_on < add_years(birth_date, MINIMUM_JOINING_AGE):
            return False
    if status == _FORMAL:
        if full_member_on is None or (joined_on is not None and full_member_on <= joined_on) or full_member_on > today:
            return False
    elif status == _PROBATIONARY and full_member_on is not None:
        return False
    return True


class RowChecker:
    """Checks rows one by one, keeping nothing of earlier rows (duplicate ID numbers inside the file
    are found afterwards in SQL, so memory does not grow with the file).

    Each row is first parsed field by field (required, choices, lengths, dates, the organization
    code), then held against the roster's ``Member.clean()`` rules: a fast arithmetic check for the
    common, valid row, and the real ``Member.clean()`` on a would-be member for a row that fails it,
    so the import reports exactly the roster's messages. ``organizations`` maps the codes of the
    organizations the caller may add members to onto their ids: a code outside that scope is
    reported exactly like an unknown one.
    """

    def __init__(self, positions, organizations, today=None):
        self.positions = [positions[name] for name in COLUMNS]
        self.width = max(self.positions) + 1
        self.organizations = organizations
        self.today = today or timezone.localdate()

    def check(self, number, cells):
        """``(values, errors)``: the row as a tuple for the import table (None where a field could
        not be read, the ID number None when it is not valid) and its errors (None when valid)."""
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
        ) = [cells[index].strip() for index in self.positions]
        errors = {}

        if not name:
            errors["name"] = _("This field is required.")
        elif len(name) > _NAME_LENGTH:
            errors["name"] = _too_long(_NAME_LENGTH, name)
        gender = gender.lower()
        if gender not in _GENDERS:
            errors["gender"] = _not_a_choice(gender, _GENDERS)
            gender = None
        birth_date = _date(birth_text, "birth_date", errors, True)
        # Folded and upper-cased as Member.clean() does, so ３５０...Ｘ is the member's 350...X.
        id_number = validators.normalize_id_number(id_number)
        if len(id_number) > _ID_LENGTH:
            errors["id_number"] = _too_long(_ID_LENGTH, id_number)
        phone = validators.normalize_phone(phone)
        if phone is not None and len(phone) > _PHONE_LENGTH:
            errors["phone"] = _too_long(_PHONE_LENGTH, phone)
        organization_id = self.organizations.get(organization_code)
        if organization_id is None:
            errors["organization"] = (
                _("No organization with code {code} in your scope.").format(code=organization_code)
                if organization_code
                else _("This field is required.")
            )
        status = status.lower()
        if status not in _STATUSES:
            errors["status"] = _not_a_choice(status, _STATUSES)
            status = None
        joined_on = _date(joined_text, "joined_on", errors, True)
        full_member_on = _date(full_member_text, "full_member_on", errors, False)
        if categories_text:
            categories = []
            for category in categories_text.split(CATEGORY_SEPARATOR):
                category = category.strip().lower()
                if category in _CATEGORIES:
                    if category not in categories:
                        categories.append(category)
                elif category:
                    errors.setdefault("categories", _not_a_choice(category, _CATEGORIES))
        else:
            categories = []
        activity_status = activity_status.lower() or ActivityStatusChoices.NORMAL
        if activity_status not in _ACTIVITY_STATUSES:
            errors["activity_status"] = _not_a_choice(activity_status, _ACTIVITY_STATUSES)
            activity_status = None
        enterprise = validators.normalize_credit_code(enterprise) or None
        pocket_word = pocket_text.lower()
        is_pocket = pocket_word in TRUE_WORDS
        if not is_pocket and pocket_word not in FALSE_WORDS:
            errors["is_pocket"] = _("{value} is not one of: true, false, 1, 0, 是, 否.").format(value=pocket_text)

        if not passes_member_rules(
            self.today, gender, birth_date, id_number, phone, status, joined_on, full_member_on, enterprise
        ):
            self._member_clean_errors(
                errors,
                name=name,
                gender=gender,
                birth_date=birth_date,
                id_number=id_number,
                phone=phone,
                status=status,
                joined_on=joined_on,
                full_member_on=full_member_on,
                enterprise=enterprise,
            )

        row_errors = None
        if errors:
            row_errors = [{"row": number, "field": field, "message": str(message)} for field, message in errors.items()]
            if "id_number" in errors:
                id_number = None  # left out of the duplicate and member matching done in SQL
        return (
            number,
            name,
            gender,
            birth_date,
            id_number,
            phone,
            organization_id,
            status,
            joined_on,
            full_member_on,
            categories,
            activity_status,
            enterprise,
            is_pocket,
        ), row_errors

    @staticmethod
    def _member_clean_errors(errors, **values):
        """Run the roster's own ``Member.clean()`` and add its messages (a field already reported
        as unparsable or not a choice keeps that first, clearer message)."""
        candidate = Member(**values)
        candidate._id_number_taken = _not_checked_here
        try:
            candidate.clean()
        except ValidationError as problem:
            for field, messages in problem.message_dict.items():
                errors.setdefault(field if field in COLUMNS else "row", messages[0])


def _too_long(limit, value):
    return _("At most {limit} characters (this has {length}).").format(limit=limit, length=len(value))


def _not_a_choice(value, allowed):
    if not value:
        return _("This field is required.")
    return _("{value} is not one of: {choices}.").format(value=value, choices=", ".join(sorted(allowed)))


def _date(text, field, errors, needed):
    text = validators.ascii_width(text)
    if not text:
        if needed:
            errors[field] = _("This field is required.")
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        value = parse_date(text)
        if value is None:
            errors[field] = _("{value} is not a date (use YYYY-MM-DD).").format(value=text)
        return value
