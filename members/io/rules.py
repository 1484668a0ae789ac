"""The roster file's columns and the roster's rules applied to one imported row, in plain Python so
100,000 rows check in seconds: the member import's part of its declaration (``members.io.importer``).

``MEMBER_COLUMNS`` declares each column of the file (API.md "Import"): its parser (required fields,
the choices of ``members.choices`` by code or by label in either language, the field lengths of
``Member``, dates, organization codes in the caller's scope). ``member_row_rule`` then holds the
parsed row against ``Member.clean()``'s rules (GB 11643 ID numbers and GB 32100 credit codes, birth
date and gender as written in the ID number, joining age and dates, a formal member's
``full_member_on`` after ``joined_on``, ...): first by ``passes_member_rules``, plain arithmetic,
and, for a row that fails it, by the real ``Member.clean()``, whose messages are reported.
What is checked across rows or needs the database (the same ID number twice in the file, an ID
number of a current member, and whether the caller may change that member) is checked afterwards
in SQL by the portal's importer (``portal.importer``).
"""

import datetime
import operator

from django.core.exceptions import ValidationError

from members import validators
from members.choices import ActivityStatusChoices, GenderChoices, MemberCategoryChoices, MemberStatusChoices
from members.models import Member
from members.models.members import _PHONE_PATTERN as _PHONE_SHAPE
from members.models.members import MINIMUM_JOINING_AGE, add_years
from portal.importer import Boolean, Choice, Choices, ImportColumn, Text, date, parse_date  # noqa: F401 (parse_date: the roster's, tests use it)

_NAME_LENGTH = Member._meta.get_field("name").max_length
_ID_LENGTH = Member._meta.get_field("id_number").max_length
_PHONE_LENGTH = Member._meta.get_field("phone").max_length


def _list_label(key):
    """The header the member list's download (``members.tables.MemberTable``) writes for the column
    ``key``: accepted as a header too, so a downloaded list edited in Excel imports back (issue 13)."""
    from members.tables import MemberTable

    for column in MemberTable.columns:
        if column.key == key:
            return column.label
    raise LookupError("MemberTable has no column {}; the member import names it as a header alias.".format(key))


def _credit_code(text):
    return validators.normalize_credit_code(text) or None


# API.md "Import": the header row, in any order. Spelled out rather than derived from
# MEMBER_EDITABLE_FIELDS: the file format is a contract and must not grow when the model does.
# A header cell may also be a column's label, in English or Chinese: the model field's verbose name
# (the machine-readable export's labels) or the member list download's header (its aliases).
MEMBER_COLUMNS = [
    ImportColumn("name", Text(_NAME_LENGTH), required=True, aliases=[_list_label("name")]),
    ImportColumn("gender", Choice(GenderChoices), required=True, aliases=[_list_label("gender")]),
    ImportColumn("birth_date", date, required=True, sql_type="date"),
    # Folded and upper-cased as Member.clean() does, so ３５０...Ｘ is the member's 350...X; an empty
    # one is reported by Member.clean() ("The ID number is required.").
    ImportColumn(
        "id_number", Text(_ID_LENGTH, validators.normalize_id_number), empty="", aliases=[_list_label("shown_id_number")]
    ),
    ImportColumn("phone", Text(_PHONE_LENGTH, validators.normalize_phone), aliases=[_list_label("shown_phone")]),
    ImportColumn(
        "organization", "parse_organization", required=True, column="organization_id", sql_type="bigint",
        aliases=[_list_label("organization.code")],
    ),
    ImportColumn("status", Choice(MemberStatusChoices), required=True, aliases=[_list_label("status")]),
    ImportColumn("joined_on", date, required=True, sql_type="date"),
    ImportColumn("full_member_on", date, sql_type="date"),
    ImportColumn(
        "categories", Choices(MemberCategoryChoices), empty=[], sql_type="text[]", aliases=[_list_label("_category_labels")]
    ),
    ImportColumn(
        "activity_status", Choice(ActivityStatusChoices), empty=ActivityStatusChoices.NORMAL,
        aliases=[_list_label("activity_status")],
    ),
    ImportColumn("enterprise", _credit_code),
    ImportColumn("is_pocket", Boolean(), empty=False, sql_type="boolean", aliases=[_list_label("is_pocket")]),
]
COLUMNS = tuple(column.name for column in MEMBER_COLUMNS)
CATEGORY_SEPARATOR = ";"


def header_errors(header):
    """``(positions, errors)``: the index of each column in the header, and an error (row 0, the
    header) for each column of API.md the header lacks (a column may be named by its label too)."""
    from members.io.importer import MemberImporter

    return MemberImporter.header_errors(header)


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


def member_row_rule(today, values, errors):
    """Add ``Member.clean()``'s errors on the parsed row ``values`` to ``errors`` (a field already
    reported as unparsable or not a choice keeps that first, clearer message)."""
    if passes_member_rules(
        today, values["gender"], values["birth_date"], values["id_number"] or "", values["phone"], values["status"],
        values["joined_on"], values["full_member_on"], values["enterprise"],
    ):
        return
    candidate = Member(
        name=values["name"], gender=values["gender"], birth_date=values["birth_date"], id_number=values["id_number"] or "",
        phone=values["phone"], status=values["status"], joined_on=values["joined_on"],
        full_member_on=values["full_member_on"], enterprise=values["enterprise"],
    )
    candidate._id_number_taken = _not_checked_here
    try:
        candidate.clean()
    except ValidationError as problem:
        for field, messages in problem.message_dict.items():
            errors.setdefault(field if field in COLUMNS else "row", messages[0])
