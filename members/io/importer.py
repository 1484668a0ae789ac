"""Importing a roster file set-based: one streaming pass in Python, then a few SQL statements.

1. The file is read row by row (``members.io.reading``) and each row checked (``members.io.rules``);
   every row goes straight into a temporary table through ``COPY`` while later rows are still being
   read (a bad row too, NULL where a field could not be read), so memory stays flat whatever the
   file size: nothing of earlier rows is kept but their errors.
2. SQL then finds ID numbers that appear twice in the file, matches the rows to current members by
   ID number (those rows update the member) and reports a match the caller may not change.
   A row whose ID number a current member outside the caller's scope holds is refused in neutral
   words, recorded as a ``RegistrationRefusal`` and counted against the caller's allowance
   (``members.models.refusals``); a file with more such rows than the allowance left is refused as
   a whole (``ImportRateLimited``), without saying which rows.
3. If any row is bad, or on a dry run, the transaction is rolled back: nothing is written.
   Otherwise one ``UPDATE ... FROM`` and one ``INSERT ... SELECT`` write everything; the audit
   triggers (pghistory) record every row with who imported it.
"""

from dataclasses import dataclass, field

import pghistory
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.io import reading, rules
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
from portal import scope

# Beyond this many errors the file is clearly not the right one; stop listing (memory stays bounded).
MAX_ERRORS = 10_000
IMPORT_TABLE = "member_import_rows"
# The columns of the import table after ``row_number``, in the order RowChecker returns them.
_TRACKS_ACTIVITY_SINCE = any(f.name == "activity_status_since" for f in Member._meta.concrete_fields)
# Plain text columns: a bad row is copied too (for the checks across rows), whatever its length.
_IMPORT_COLUMNS = (
    ("name", "text"),
    ("gender", "text"),
    ("birth_date", "date"),
    ("id_number", "text"),
    ("phone", "text"),
    ("organization_id", "bigint"),
    ("status", "text"),
    ("joined_on", "date"),
    ("full_member_on", "date"),
    ("categories", "text[]"),
    ("activity_status", "text"),
    ("enterprise", "text"),
    ("is_pocket", "boolean"),
)


class ImportRateLimited(RegistrationLimitReached):
    """The import is refused as a whole: the caller was refused too many registrations lately, or
    the file holds more rows of members outside their scope than they have refusals left. Nothing
    is written and no row is answered. The API answers 429 ``{"detail": message}`` with a
    ``Retry-After`` header of ``retry_after`` seconds; the page shows the message (status 429)."""


@dataclass
class ImportResult:
    """What an import did (or, on a dry run, would do), or why it did nothing."""

    created: int = 0
    updated: int = 0
    dry_run: bool = False
    errors: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors

    def as_dict(self):
        if self.errors:
            return {"errors": self.errors}
        return {"created": self.created, "updated": self.updated, "dry_run": self.dry_run}


class _Errors:
    """The errors of a run, sorted by row and capped at MAX_ERRORS."""

    def __init__(self):
        self.items = []
        self.truncated = False

    def __bool__(self):
        return bool(self.items)

    def add(self, errors):
        room = MAX_ERRORS - len(self.items)
        if len(errors) > room:
            self.truncated = True
        self.items.extend(errors[:room])

    def result(self):
        items = sorted(self.items, key=lambda item: (item["row"], rules.COLUMNS.index(item["field"]) if item["field"] in rules.COLUMNS else -1))
        if self.truncated:
            items.append(
                {
                    "row": 0,
                    "field": "file",
                    "message": _("More than {limit} errors; only the first {limit} are listed.").format(limit=MAX_ERRORS),
                }
            )
        return items


def _file_error(message):
    return ImportResult(errors=[{"row": 0, "field": "file", "message": str(message)}])


def importable_organizations(user):
    """``{code: id}`` of the organizations ``user`` may add members to (the import's scope)."""
    allowed = scope.restrict(Organization.objects.all(), user, "add", for_model=Member)
    return dict(allowed.values_list("code", "id"))


def import_members(uploaded, user, dry_run=False):
    """Import ``uploaded`` (a CSV or XLSX file object) as ``user``; returns an ``ImportResult``.

    Raises ``ImportRateLimited`` when the caller may import no one for now (see the class)."""
    try:
        check_registration_allowed(user)
    except RegistrationLimitReached as limit:
        raise ImportRateLimited(limit.retry_after) from None
    refused = []
    try:
        return _import(uploaded, user, dry_run, refused)
    finally:
        # After the import's transaction (rolled back when rows are refused): the record stays.
        RegistrationRefusal.record(user, RegistrationSourceChoices.IMPORT, refused)


def _import(uploaded, user, dry_run, refused):
    try:
        header, rows = reading.iter_table(uploaded)
    except reading.FileError as problem:
        return _file_error(problem)
    positions, header_problems = rules.header_errors(header)
    if header_problems:
        return ImportResult(errors=header_problems)
    checker = rules.RowChecker(positions, importable_organizations(user))
    errors = _Errors()
    result = ImportResult(dry_run=dry_run)
    try:
        with transaction.atomic(), pghistory.context(source="members.import"):
            with connection.cursor() as cursor:
                # pgtrigger's triggers look this setting up on every row and, when it is unset, pay
                # for a caught exception each time; an empty list (ignore nothing) spares that.
                cursor.execute("SET LOCAL pgtrigger.ignore = '{}'")
                _create_import_table(cursor)
                row_count = _copy_rows(cursor, rows, checker, errors)
                if row_count == 0:
                    transaction.set_rollback(True)
                    return _file_error(_("The file has no data rows."))
                errors.add(_duplicates(cursor))
                errors.add(_rows_outside_scope(cursor, user, refused))
                if errors:
                    transaction.set_rollback(True)
                    result.errors = errors.result()
                    return result
                result.created, result.updated = _counts(cursor)
                if dry_run:
                    transaction.set_rollback(True)
                    return result
                _write(cursor)
                cursor.execute("DROP TABLE {table}".format(table=IMPORT_TABLE))
    except reading.FileError as problem:
        return _file_error(problem)
    except IntegrityError:
        # Someone saved a member with one of these ID numbers while the import ran.
        return _file_error(_("The roster changed while importing (an ID number was taken meanwhile); please run the import again."))
    return result


def _create_import_table(cursor):
    columns = ", ".join("{} {}".format(name, kind) for name, kind in _IMPORT_COLUMNS)
    cursor.execute("DROP TABLE IF EXISTS pg_temp.{table}".format(table=IMPORT_TABLE))
    cursor.execute(
        "CREATE TEMPORARY TABLE {table} (row_number integer NOT NULL, {columns}, member_id bigint) ON COMMIT DROP".format(
            table=IMPORT_TABLE, columns=columns
        )
    )


def _copy_rows(cursor, rows, checker, errors):
    """Check every row and ``COPY`` it into the import table (a bad row too, with NULL where a field
    could not be read, so duplicates and members are matched across the whole file in SQL).
    Returns the row count."""
    count = 0
    names = ", ".join(["row_number"] + [name for name, _kind in _IMPORT_COLUMNS])
    batch = []
    # Django's cursor wraps psycopg's; COPY is psycopg's own API. Rows go in COPY's text format,
    # written in batches (formatting them here is several times faster than psycopg's write_row).
    with cursor.cursor.copy("COPY {table} ({names}) FROM STDIN".format(table=IMPORT_TABLE, names=names)) as copy:
        for number, cells in rows:
            count += 1
            values, row_errors = checker.check(number, cells)
            if row_errors:
                errors.add(row_errors)
            batch.append(_copy_line(values))
            if len(batch) >= 1000:
                copy.write("".join(batch))
                batch = []
        if batch:
            copy.write("".join(batch))
    return count


def _duplicates(cursor):
    """Errors for every row whose ID number an earlier row of the file already has."""
    cursor.execute(
        "SELECT row_number, first_row FROM (SELECT row_number, min(row_number) OVER (PARTITION BY id_number) AS first_row"
        " FROM {table} WHERE id_number IS NOT NULL) numbered WHERE row_number <> first_row".format(table=IMPORT_TABLE)
    )
    return [
        {"row": row, "field": "id_number", "message": _("The same ID number is already on row {row}.").format(row=first)}
        for row, first in cursor.fetchall()
    ]


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value):
    """A text value in COPY's text format (None is NULL)."""
    if value is None:
        return "\\N"
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


def _copy_date(value):
    return value.isoformat() if value is not None else "\\N"


def _copy_line(values):
    (number, name, gender, birth_date, id_number, phone, organization_id, status, joined_on, full_member_on,
     categories, activity_status, enterprise, is_pocket) = values
    # Choice values, validated ID numbers, credit codes, dates and numbers never need escaping;
    # names and phones may hold anything. A field that could not be read is NULL.
    return "\t".join(
        (
            str(number),
            _copy_text(name),
            gender or "\\N",
            _copy_date(birth_date),
            id_number or "\\N",
            _copy_text(phone),
            str(organization_id) if organization_id is not None else "\\N",
            status or "\\N",
            _copy_date(joined_on),
            _copy_date(full_member_on),
            "{" + ",".join(categories) + "}",
            activity_status or "\\N",
            _copy_text(enterprise),
            "t" if is_pocket else "f",
        )
    ) + "\n"


def _rows_outside_scope(cursor, user, refused):
    """Match rows to current members by ID number; errors for matches the caller may not change.

    A member the caller may see is named; one outside their scope gets the neutral refusal, and
    its ``(id_number, organization_id)`` goes to ``refused``. More of those than the caller's
    allowance and the whole import is refused (``ImportRateLimited``), no row answered."""
    # Planner statistics first, so a small file is matched through the ID-number index.
    cursor.execute("ANALYZE {table} (id_number)".format(table=IMPORT_TABLE))
    # Lock the members being updated while matching them, so the scope check below and the
    # update see the same rows.
    cursor.execute(
        "WITH matched AS (SELECT m.id, m.id_number FROM members_member m JOIN {table} t ON t.id_number = m.id_number"
        " WHERE m.left_on IS NULL AND m.id_number <> '' FOR UPDATE OF m)"
        " UPDATE {table} t SET member_id = matched.id FROM matched WHERE t.id_number = matched.id_number".format(
            table=IMPORT_TABLE
        )
    )
    if scope.get_scope(user).is_city_admin:
        return []  # may change every member
    changeable_sql, changeable_params = (
        scope.restrict(Member.objects.current(), user, "change").values("pk").query.sql_with_params()
    )
    visible_sql, visible_params = scope.restrict(Member.objects.current(), user, "view").values("pk").query.sql_with_params()
    cursor.execute(
        "SELECT t.row_number, t.id_number, t.organization_id, t.member_id IN ({visible}) AS visible"
        " FROM {table} t WHERE t.member_id IS NOT NULL AND t.member_id NOT IN ({changeable})"
        " ORDER BY t.row_number".format(table=IMPORT_TABLE, changeable=changeable_sql, visible=visible_sql),
        visible_params + changeable_params,
    )
    found = cursor.fetchall()
    hidden = [(row_number, id_number, organization_id) for row_number, id_number, organization_id, visible in found if not visible]
    if hidden:
        refused.extend((id_number, organization_id) for _row, id_number, organization_id in hidden)
        allowance = remaining_refusals(user)
        if len(hidden) > allowance:
            raise ImportRateLimited(limit_retry_after(timezone.now()))
    seen = [(row_number, id_number) for row_number, id_number, _organization, visible in found if visible]
    names = {}
    if seen:
        names = {
            member.id_number: member
            for member in Member.objects.current()
            .filter(id_number__in={id_number for _row, id_number in seen[:MAX_ERRORS]})
            .select_related("organization")
        }
    errors = [
        {
            "row": row_number,
            "field": "id_number",
            "message": _("{name} of {organization} has this ID number; you may not change them.").format(
                name=names[id_number].name, organization=names[id_number].organization.name
            ),
        }
        for row_number, id_number in seen[:MAX_ERRORS]
        if id_number in names
    ]
    errors += [
        {"row": row_number, "field": "id_number", "message": str(ID_NUMBER_REFUSED_MESSAGE)}
        for row_number, _id_number, _organization in hidden
    ]
    return sorted(errors, key=lambda error: error["row"])


def _counts(cursor):
    cursor.execute(
        "SELECT count(*) FILTER (WHERE member_id IS NULL), count(*) FILTER (WHERE member_id IS NOT NULL)"
        " FROM {table}".format(table=IMPORT_TABLE)
    )
    return cursor.fetchone()


def _write(cursor):
    """Update the matched members, insert the rest, each in one statement."""
    imported = [name for name, _kind in _IMPORT_COLUMNS]
    table = Member._meta.db_table
    today = timezone.localdate()
    assignments = ["{name} = t.{name}".format(name=name) for name in imported]
    params = []
    if _TRACKS_ACTIVITY_SINCE:
        # What Member.save() does: the activity status dates from when it last changed.
        assignments.append(
            "activity_status_since = CASE WHEN m.activity_status = t.activity_status"
            " THEN m.activity_status_since ELSE %s END"
        )
        params.append(today)
    # Rows identical to the member are left alone: re-importing a whole roster to change a few
    # members rewrites (and audits) only those few.
    cursor.execute(
        "UPDATE {table} m SET {assignments}, updated_at = now() FROM {rows} t WHERE m.id = t.member_id"
        " AND ({old}) IS DISTINCT FROM ({new})".format(
            table=table,
            rows=IMPORT_TABLE,
            assignments=", ".join(assignments),
            # (text[] against the column's varchar[] needs the cast; the other text columns compare as they are)
            old=", ".join("m.categories::text[]" if name == "categories" else "m." + name for name in imported),
            new=", ".join("t." + name for name in imported),
        ),
        params,
    )
    # Every other column of Member gets its model default, so a field added to Member later does
    # not break the import (its NOT NULL columns have no database default).
    columns, values, params = [], [], []
    for model_field in Member._meta.concrete_fields:
        if model_field.primary_key or getattr(model_field, "generated", False):
            continue
        column = model_field.column
        columns.append(column)
        if column in imported:
            values.append("t." + column)
        elif column in ("created_at", "updated_at"):
            values.append("now()")
        elif column == "activity_status_since":
            values.append("%s")
            params.append(today)
        else:
            values.append("%s")
            params.append(model_field.get_db_prep_save(model_field.get_default(), connection))
    cursor.execute(
        "INSERT INTO {table} ({columns}) SELECT {values} FROM {rows} t WHERE t.member_id IS NULL ORDER BY t.row_number".format(
            table=table, columns=", ".join(columns), values=", ".join(values), rows=IMPORT_TABLE
        ),
        params,
    )
