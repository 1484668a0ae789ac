"""Bulk import of a model from a CSV or XLSX file, declared once per model and run set-based.

An app declares an ``Importer``: the ``model``, its ``columns`` (``ImportColumn``: the header name,
a parser from text to value, required or not, the label its export writes), the ``row_rule``
(the model's ``clean()`` as it applies to one row), the ``match_key`` (a row whose key a current
object holds updates that object) and, through ``scope.restrict``, who may change what. The engine
then keeps, for every app, the properties the member roster's import had:

1. The file is read row by row (``portal.spreadsheets``: size, rows, cells and zip-bomb limits) and
   each row parsed and checked in Python; every row goes straight into a temporary table through
   ``COPY`` (a bad row too, NULL where a field is bad), so memory stays flat whatever the file size.
2. SQL then finds keys that appear twice in the file, matches rows to existing objects by the key
   (locking them), and reports matches the caller may not change: named when the caller may see
   the object, in neutral words otherwise (``hidden_matches`` lets an app count those, as the
   roster counts refused registrations).
3. One bad row, or a dry run, and the transaction is rolled back: nothing is written. Otherwise one
   ``UPDATE ... FROM`` (rows identical to the object are left alone) and one ``INSERT ... SELECT``
   write everything; the audit triggers record each row with ``audit_source``.

A file exported by the portal imports back: a header cell may be a column's name or its label in
any of the portal's languages, and a choice may be its code or its label in any language
(``Choice``, ``Choices``, ``Boolean``); the labels come from the same declaration the export uses
(the model field's ``verbose_name`` and its choices), so the two cannot drift apart.
"""

import datetime
import re
from dataclasses import dataclass, field

import pghistory
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import scope, spreadsheets

# Beyond this many errors the file is clearly not the right one; stop listing (memory stays bounded).
MAX_ERRORS = 10_000
COPY_BATCH_ROWS = 1000

# Full-width ASCII (３５０６, Ｘ, －) and the ideographic space, as Chinese input methods type them.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULL_WIDTH[0x3000] = 0x20
# Excel and WPS often show dates as 2020/1/5 or 2020年1月5日; accept them beside ISO dates.
# ASCII digits only (re.ASCII): int() would read Arabic-Indic digits too.
_LOOSE_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$", re.ASCII)


def fold_width(text):
    """``text`` with full-width ASCII characters folded to ASCII."""
    if not text:
        return ""
    return text if text.isascii() else text.translate(_FULL_WIDTH)


class CellError(Exception):
    """A parser's refusal of one cell; ``message`` is what the user reads."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ImportRefused(Exception):
    """The import is refused as a whole, no row answered (the API answers 429 with ``Retry-After``).
    Subclasses give ``message`` and ``retry_after`` (seconds)."""

    retry_after = 60

    @property
    def message(self):
        return str(self)


def required_message():
    return _("This field is required.")


def too_long_message(limit, value):
    return _("At most {limit} characters (this has {length}).").format(limit=limit, length=len(value))


def not_a_choice_message(value, allowed):
    if not value:
        return required_message()
    return _("{value} is not one of: {choices}.").format(value=value, choices=", ".join(sorted(allowed)))


# --- parsers: text of one cell (stripped, never empty) -> value, or CellError --------------------


def _labels_in_every_language(label):
    """``label`` (lazy) as written in each of the portal's languages, lower case."""
    names = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names.add(str(label).strip().lower())
    return names


class Text:
    """Text up to ``max_length`` characters, after ``normalize`` (e.g. folding full-width digits)."""

    def __init__(self, max_length=None, normalize=None):
        self.max_length = max_length
        self.normalize = normalize

    def __call__(self, text):
        if self.normalize is not None:
            text = self.normalize(text)
        if self.max_length is not None and text is not None and len(text) > self.max_length:
            raise CellError(too_long_message(self.max_length, text))
        return text

    def bind(self):
        """A plain function doing ``__call__`` (it runs once per cell of 100,000-row files)."""
        normalize, limit = self.normalize, self.max_length
        if limit is None:
            return normalize or str

        def parse(text):
            if normalize is not None:
                text = normalize(text)
            if text is not None and len(text) > limit:
                raise CellError(too_long_message(limit, text))
            return text

        return parse


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


def date(text):
    """A date cell (ISO, or as Excel and WPS show dates)."""
    if not text.isascii():
        text = fold_width(text)
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        value = parse_date(text)
        if value is None:
            raise CellError(_("{value} is not a date (use YYYY-MM-DD).").format(value=text)) from None
        return value


class Choice:
    """One of ``choices`` (a ``TextChoices`` class or ``(value, label)`` pairs): its code, or its
    label in any of the portal's languages (what an export writes), in any case."""

    def __init__(self, choices):
        self.choices = choices

    @cached_property
    def pairs(self):
        return list(getattr(self.choices, "choices", self.choices))

    @cached_property
    def codes(self):
        return frozenset(value for value, _label in self.pairs)

    @cached_property
    def aliases(self):
        # Built on first use (the catalogues are loaded by then); codes win over a label spelled alike.
        aliases = {}
        for value, label in self.pairs:
            for name in _labels_in_every_language(label):
                aliases.setdefault(name, value)
        aliases.update({str(value).lower(): value for value in self.codes})
        return aliases

    def __call__(self, text):
        key = text.lower()
        value = self.aliases.get(key)
        if value is None:
            raise CellError(not_a_choice_message(key, self.codes))
        return value

    def bind(self):
        """A plain function doing ``__call__`` (it runs once per cell of 100,000-row files)."""
        aliases = self.aliases
        codes = self.codes

        def parse(text):
            value = aliases.get(text.lower())
            if value is None:
                raise CellError(not_a_choice_message(text.lower(), codes))
            return value

        return parse


class Choices(Choice):
    """Several of ``choices`` in one cell, separated by ``;`` (or ``；``, ``、``, ``,``, ``，`` as
    an exported or hand-typed Chinese file may have them); repeats dropped, order kept."""

    SEPARATORS = re.compile("[;；、,，]")

    def __call__(self, text):
        values = []
        for part in self.SEPARATORS.split(text):
            key = part.strip().lower()
            if not key:
                continue
            value = self.aliases.get(key)
            if value is None:
                raise CellError(not_a_choice_message(key, self.codes))
            if value not in values:
                values.append(value)
        return values

    def bind(self):
        return self


class Boolean:
    """Yes or no: true/false, 1/0, yes/no, y/n, 是/否 and "Yes"/"No" in every language."""

    TRUE = frozenset({"true", "1", "是", "yes", "y"})
    FALSE = frozenset({"false", "0", "否", "no", "n"})

    @cached_property
    def words(self):
        words = {word: False for word in self.FALSE}
        words.update({word: True for word in self.TRUE})
        for label, value in ((gettext_lazy("Yes"), True), (gettext_lazy("No"), False)):
            for name in _labels_in_every_language(label):
                words.setdefault(name, value)
        return words

    def __call__(self, text):
        value = self.words.get(text.lower())
        if value is None:
            raise CellError(_("{value} is not one of: true, false, 1, 0, 是, 否.").format(value=text))
        return value


# --- the declaration -----------------------------------------------------------------------------


class ImportColumn:
    """One column of an import file.

    ``name``: the header (and the field named in error messages). ``parser``: text -> value or
    ``CellError`` (a callable, or the name of a method of the importer, for parsers that need the
    caller, e.g. codes of organizations in their scope). ``required``: an empty cell is an error;
    otherwise it is ``empty``. ``column``: the database column (default ``name``), ``sql_type`` its
    type in the import table. ``label``: what an export writes as its header (default: the model
    field's ``verbose_name``; ``field`` names that field when it is not ``name``); a header cell may
    be the name or the label in any language, or one of ``aliases``.
    """

    def __init__(self, name, parser=None, *, required=False, empty=None, column=None, sql_type="text",
                 label=None, field=None, aliases=()):
        self.name = name
        self.parser = parser
        self.required = required
        self.empty = empty
        self.column = column or name
        self.sql_type = sql_type
        self.label = label
        self.field = field or name
        self.aliases = tuple(aliases)

    def __repr__(self):
        return "<ImportColumn {}>".format(self.name)


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

    @classmethod
    def from_dict(cls, answer, dry_run=False):
        """The result an import job stored (``as_dict``)."""
        return cls(
            created=answer.get("created", 0), updated=answer.get("updated", 0), dry_run=dry_run,
            errors=answer.get("errors", []),
        )


def file_error(message):
    return {"row": 0, "field": "file", "message": str(message)}


class _Errors:
    """The errors of a run, sorted by row and column at the end and capped at ``MAX_ERRORS``."""

    def __init__(self, order):
        self.items = []
        self.truncated = False
        self.order = order

    def __bool__(self):
        return bool(self.items)

    def add(self, errors):
        room = MAX_ERRORS - len(self.items)
        if len(errors) > room:
            self.truncated = True
        self.items.extend(errors[:room])

    def result(self):
        order = self.order
        items = sorted(self.items, key=lambda item: (item["row"], order.get(item["field"], -1)))
        if self.truncated:
            items.append(file_error(_("More than {limit} errors; only the first {limit} are listed.").format(limit=MAX_ERRORS)))
        return items


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_PLAIN_ARRAY_ITEM = re.compile(r"^[A-Za-z0-9_.:-]+$")


def _copy_text(value):
    """A text value in COPY's text format (None is NULL)."""
    if value is None:
        return "\\N"
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


def _copy_plain(value):
    return "\\N" if value is None else str(value)


def _copy_date(value):
    return "\\N" if value is None else value.isoformat()


def _copy_boolean(value):
    return "\\N" if value is None else ("t" if value else "f")


def _copy_text_array(values):
    if values is None:
        return "\\N"
    items = [
        item if _PLAIN_ARRAY_ITEM.match(item) else '"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"'
        for item in values
    ]
    return _copy_text("{" + ",".join(items) + "}")


_COPY_FORMATS = {"text": _copy_text, "date": _copy_date, "boolean": _copy_boolean, "text[]": _copy_text_array}
# The same as expressions (the line writer below inlines them: a call per cell of 100,000 rows costs).
_COPY_EXPRESSIONS = {
    "text": "'\\\\N' if {v} is None else ({v}.translate(_COPY_ESCAPES) if ('\\\\' in {v} or '\\t' in {v} or '\\n' in {v}"
    " or '\\r' in {v}) else {v})",
    "date": "'\\\\N' if {v} is None else {v}.isoformat()",
    "boolean": "'\\\\N' if {v} is None else ('t' if {v} else 'f')",
    "bigint": "'\\\\N' if {v} is None else str({v})",
    "integer": "'\\\\N' if {v} is None else str({v})",
}


def copy_line_writer(sql_types):
    """A function ``(row_number, values) -> line`` writing one row in COPY's text format, ``values``
    being a dict of the columns' values in the order of ``sql_types``. Generated once per import
    (as ``collections.namedtuple`` generates its class): the per-cell function calls of a generic
    loop made the import a fifth slower."""
    names = ["v{}".format(index) for index in range(len(sql_types))]
    cells = []
    namespace = {"_COPY_ESCAPES": _COPY_ESCAPES, "str": str}
    for name, sql_type in zip(names, sql_types):
        expression = _COPY_EXPRESSIONS.get(sql_type)
        if expression is None:
            namespace["write_" + name] = _COPY_FORMATS.get(sql_type, _copy_plain)
            cells.append("write_{v}({v})".format(v=name))
        else:
            cells.append("(" + expression.format(v=name) + ")")
    unpack = "    {}, = values.values()\n".format(", ".join(names))
    source = "def write_line(number, values):\n" + unpack + "    return '\\t'.join((str(number), {})) + '\\n'\n".format(", ".join(cells))
    exec(compile(source, "<copy line writer>", "exec"), namespace)  # noqa: S102 - built from the fixed expressions above
    return namespace["write_line"]


class Importer:
    """The declaration of one model's import (see the module docstring); one instance per run.

    ``Importer(user).run(uploaded, dry_run)`` returns an ``ImportResult``, or raises an
    ``ImportRefused`` an app's hook raised (nothing is written then)."""

    model = None
    columns = []
    match_key = None  # the column (its database name) that finds the object a row updates
    audit_source = None  # pghistory context "source" of the rows written
    table_name = None  # the temporary table (default "<model>_import_rows")
    # Columns of the import table handed to ``hidden_matches`` beside the row number and the key.
    hidden_match_columns = ()
    duplicate_message = gettext_lazy("The same value is already on row {row}.")
    hidden_match_message = gettext_lazy("You may not change the record this row matches.")
    conflict_message = gettext_lazy(
        "The records changed while importing (a key was taken meanwhile); please run the import again."
    )
    empty_file_message = gettext_lazy("The file has no data rows.")

    def __init__(self, user, today=None):
        self.user = user
        self.today = today or timezone.localdate()

    # --- hooks -----------------------------------------------------------------------------------

    def prepare(self):
        """Per-run setup before any row is read (e.g. the codes the caller may use)."""

    def row_rule(self, values, errors):
        """The model's own rules on one parsed row: add ``{column name or "row": message}`` to
        ``errors``. ``values`` has every column's value (None where its cell was bad)."""

    def match_queryset(self):
        """The objects a row may match by its key (current ones; never restricted: a match outside
        the caller's scope must be found to be refused)."""
        return self.model._default_manager.all()

    def visible_queryset(self):
        """The objects the caller may see (named in the error of a row matching one of them)."""
        return scope.restrict(self.model._default_manager.all(), self.user, "view")

    def matched_message(self, obj):
        """The error of a row matching ``obj``, which the caller may see but not change."""
        return _("{object} has this key; you may not change it.").format(object=obj)

    def hidden_matches(self, rows):
        """Rows matching an object the caller may not even see: ``(row_number, key, *hidden_match_columns)``.
        May raise ``ImportRefused`` to refuse the whole file without answering a row."""

    def update_assignments(self):
        """Extra ``SET`` items of the update beside the imported columns: ``[(sql, params)]``;
        ``m`` is the object's row, ``t`` the import row."""
        return []

    def insert_values(self):
        """Values of model columns the file does not give: ``{column: (sql, params)}``; the rest
        get the field's default."""
        return {}

    def example(self):
        """``{column name: text}`` of a valid example row for the downloadable template."""
        return {}

    # --- the declaration, derived ----------------------------------------------------------------

    @classmethod
    def column_names(cls):
        return tuple(column.name for column in cls.columns)

    @classmethod
    def column_label(cls, column):
        if column.label is not None:
            return column.label
        try:
            return cls.model._meta.get_field(column.field).verbose_name
        except Exception:  # noqa: BLE001 - a column that is no model field has its name only
            return column.name

    @classmethod
    def header_names(cls):
        """``{header cell (lower case): (rank, column name)}``: each column's name (rank 0), its
        aliases (1) and its label in every language (2). Where a file has several cells naming one
        column, the lowest rank wins (a list export's "Organization code" over its "Organization",
        which holds names), then the leftmost."""
        names = {}
        for column in cls.columns:
            names[column.name] = (0, column.name)
        for rank, aliases in ((1, "aliases"), (2, "labels")):
            for column in cls.columns:
                texts = column.aliases if aliases == "aliases" else (cls.column_label(column),)
                for text in texts:
                    for name in _labels_in_every_language(text):
                        names.setdefault(name, (rank, column.name))
        return names

    @classmethod
    def header_errors(cls, header):
        """``(positions, errors)``: the index of each column in the header row, and an error (row 0,
        the header) for each declared column it lacks."""
        names = cls.header_names()
        found = {}
        for index, cell in enumerate(header):
            match = names.get(cell.strip().lower())
            if match is not None:
                rank, name = match
                found[name] = min(found.get(name, (rank, index)), (rank, index))
        positions = {name: index for name, (_rank, index) in found.items()}
        errors = [
            {"row": 0, "field": column.name, "message": _("The header row has no column {column}.").format(column=column.name)}
            for column in cls.columns
            if column.name not in positions
        ]
        return positions, errors

    def get_table_name(self):
        return self.table_name or "{}_import_rows".format(self.model._meta.model_name)

    # --- the run ---------------------------------------------------------------------------------

    def run(self, uploaded, dry_run=False):
        try:
            table = spreadsheets.read_table(uploaded)
        except spreadsheets.SpreadsheetError as problem:
            return ImportResult(errors=[file_error(problem)])
        positions, header_problems = self.header_errors(table.header)
        if header_problems:
            return ImportResult(errors=header_problems)
        self.prepare()
        self._bind(positions)
        errors = _Errors({column.name: index for index, column in enumerate(self.columns)})
        result = ImportResult(dry_run=dry_run)
        try:
            with transaction.atomic(), pghistory.context(source=self.audit_source or self.model._meta.label_lower + ".import"):
                with connection.cursor() as cursor:
                    # pgtrigger's triggers look this setting up on every row and, when it is unset, pay
                    # for a caught exception each time; an empty list (ignore nothing) spares that.
                    cursor.execute("SET LOCAL pgtrigger.ignore = '{}'")
                    self._create_table(cursor)
                    if self._copy_rows(cursor, table.rows, errors) == 0:
                        transaction.set_rollback(True)
                        return ImportResult(errors=[file_error(self.empty_file_message)])
                    errors.add(self._duplicates(cursor))
                    errors.add(self._match(cursor))
                    if errors:
                        transaction.set_rollback(True)
                        result.errors = errors.result()
                        return result
                    result.created, result.updated = self._counts(cursor)
                    if dry_run:
                        transaction.set_rollback(True)
                        return result
                    self._write(cursor)
                    cursor.execute("DROP TABLE {table}".format(table=self.get_table_name()))
        except spreadsheets.SpreadsheetError as problem:
            return ImportResult(errors=[file_error(problem)])
        except IntegrityError:
            # Someone saved an object with one of these keys while the import ran.
            return ImportResult(errors=[file_error(self.conflict_message)])
        return result

    def _bind(self, positions):
        self._width = max(positions.values()) + 1
        self._cells = [
            (
                column.name,
                positions[column.name],
                self._parser(column.parser) or str,
                column.required,
                column.empty,
            )
            for column in self.columns
        ]
        self._write_line = copy_line_writer([column.sql_type for column in self.columns])

    def _parser(self, parser):
        if isinstance(parser, str):
            return getattr(self, parser)
        return parser.bind() if hasattr(parser, "bind") else parser

    def check_row(self, number, cells):
        """``(values, errors)`` of one row: ``{column name: value}`` (None where bad) and its errors
        as ``[{row, field, message}]`` (None when it is valid)."""
        if len(cells) < self._width:
            cells = list(cells) + [""] * (self._width - len(cells))
        values = {}
        errors = {}
        # Every column is set in declaration order (the COPY line relies on it).
        for name, position, parse, required, empty in self._cells:
            text = cells[position].strip()
            if text:
                try:
                    values[name] = parse(text)
                except CellError as problem:
                    errors[name] = problem.message
                    values[name] = None
            elif required:
                errors[name] = required_message()
                values[name] = None
            else:
                values[name] = empty
        self.row_rule(values, errors)
        if not errors:
            return values, None
        for name in errors:
            if name in values:
                values[name] = None  # a bad key is left out of the duplicate and match checks
        return values, [{"row": number, "field": name, "message": str(message)} for name, message in errors.items()]

    def _create_table(self, cursor):
        table = self.get_table_name()
        columns = ", ".join("{} {}".format(column.column, column.sql_type) for column in self.columns)
        cursor.execute("DROP TABLE IF EXISTS pg_temp.{table}".format(table=table))
        cursor.execute(
            "CREATE TEMPORARY TABLE {table} (row_number integer NOT NULL, {columns}, matched_id bigint) ON COMMIT DROP".format(
                table=table, columns=columns
            )
        )

    def _copy_rows(self, cursor, rows, errors):
        """Check every row and ``COPY`` it into the import table (a bad row too, NULL where a field
        is bad, so keys are matched across the whole file in SQL). Returns the row count."""
        count = 0
        names = ", ".join(["row_number"] + [column.column for column in self.columns])
        write_line = self._write_line
        check_row = self.check_row
        batch = []
        # Django's cursor wraps psycopg's; COPY is psycopg's own API. Rows go in COPY's text format,
        # written in batches (formatting them here is several times faster than psycopg's write_row).
        with cursor.cursor.copy("COPY {table} ({names}) FROM STDIN".format(table=self.get_table_name(), names=names)) as copy:
            for number, cells in rows:
                count += 1
                values, row_errors = check_row(number, cells)
                if row_errors:
                    errors.add(row_errors)
                batch.append(write_line(number, values))
                if len(batch) >= COPY_BATCH_ROWS:
                    copy.write("".join(batch))
                    batch = []
            if batch:
                copy.write("".join(batch))
        return count

    def _duplicates(self, cursor):
        """Errors for every row whose key an earlier row of the file already has."""
        if not self.match_key:
            return []
        cursor.execute(
            "SELECT row_number, first_row FROM (SELECT row_number, min(row_number) OVER (PARTITION BY {key}) AS first_row"
            " FROM {table} WHERE {key} IS NOT NULL) numbered WHERE row_number <> first_row".format(
                table=self.get_table_name(), key=self.match_key
            )
        )
        field_name = self._key_column().name
        return [
            {"row": row, "field": field_name, "message": str(self.duplicate_message).format(row=first)}
            for row, first in cursor.fetchall()
        ]

    def _key_column(self):
        return next(column for column in self.columns if column.column == self.match_key)

    def _match(self, cursor):
        """Match rows to existing objects by key (locking them, so the scope check and the update
        see the same rows); errors for matches the caller may not change."""
        if not self.match_key:
            return []
        table = self.get_table_name()
        key = self.match_key
        # Planner statistics first, so a small file is matched through the key's index.
        cursor.execute("ANALYZE {table} ({key})".format(table=table, key=key))
        # Every holder of a key, in scope or not (a match outside it is refused below, not missed).
        # (Joined rather than "key IN (SELECT ...)": the same plan as a hand-written join, and FOR
        # UPDATE locks only the matched rows.)
        candidates = scope.mark_restricted(
            self.match_queryset()
            .extra(tables=[table], where=["{table}.{key} = {model_table}.{key}".format(
                table=table, key=key, model_table=self.model._meta.db_table)])
            .select_for_update(of=("self",))
            .order_by()  # (a model's default ordering would add its joins and a sort of every match)
            .values("pk", key),
            reason="import: every holder of a key is matched, then checked against restrict()",
        )
        candidates_sql, candidates_params = candidates.query.sql_with_params()
        cursor.execute(
            "WITH matched (id, key) AS ({candidates}) UPDATE {table} t SET matched_id = matched.id FROM matched"
            " WHERE t.{key} = matched.key".format(candidates=candidates_sql, table=table, key=key),
            candidates_params,
        )
        if scope.get_scope(self.user).is_city_admin:
            return []  # may change every object
        objects = self.model._default_manager
        changeable_sql, changeable_params = scope.restrict(objects.all(), self.user, "change").values("pk").query.sql_with_params()
        visible_sql, visible_params = scope.restrict(objects.all(), self.user, "view").values("pk").query.sql_with_params()
        extra = "".join(", t." + name for name in self.hidden_match_columns)
        cursor.execute(
            "SELECT t.row_number, t.{key}, t.matched_id, t.matched_id IN ({visible}) AS visible{extra}"
            " FROM {table} t WHERE t.matched_id IS NOT NULL AND t.matched_id NOT IN ({changeable})"
            " ORDER BY t.row_number".format(key=key, table=table, changeable=changeable_sql, visible=visible_sql, extra=extra),
            visible_params + changeable_params,
        )
        found = cursor.fetchall()
        hidden = [(row[0], row[1], *row[4:]) for row in found if not row[3]]
        if hidden:
            self.hidden_matches(hidden)
        seen = [(row[0], row[2]) for row in found if row[3]][:MAX_ERRORS]
        shown = self.visible_queryset().in_bulk({pk for _row, pk in seen}) if seen else {}
        field_name = self._key_column().name
        errors = [
            {"row": row, "field": field_name, "message": str(self.matched_message(shown[pk]))}
            for row, pk in seen
            if pk in shown
        ]
        errors += [{"row": row[0], "field": field_name, "message": str(self.hidden_match_message)} for row in hidden]
        return sorted(errors, key=lambda error: error["row"])

    def _counts(self, cursor):
        cursor.execute(
            "SELECT count(*) FILTER (WHERE matched_id IS NULL), count(*) FILTER (WHERE matched_id IS NOT NULL)"
            " FROM {table}".format(table=self.get_table_name())
        )
        return cursor.fetchone()

    def _write(self, cursor):
        """Update the matched objects, insert the rest, each in one statement."""
        imported = [column.column for column in self.columns]
        arrays = {column.column for column in self.columns if column.sql_type.endswith("[]")}
        table = self.model._meta.db_table
        rows = self.get_table_name()
        assignments = ["{name} = t.{name}".format(name=name) for name in imported]
        params = []
        for sql, extra_params in self.update_assignments():
            assignments.append(sql)
            params.extend(extra_params)
        auto_now = [
            model_field.column
            for model_field in self.model._meta.concrete_fields
            if getattr(model_field, "auto_now", False) and model_field.column not in imported
        ]
        assignments += ["{} = now()".format(column) for column in auto_now]
        # Rows identical to the object are left alone: re-importing a whole file to change a few
        # records rewrites (and audits) only those few.
        cursor.execute(
            "UPDATE {table} m SET {assignments} FROM {rows} t WHERE m.{pk} = t.matched_id"
            " AND ({old}) IS DISTINCT FROM ({new})".format(
                table=table,
                rows=rows,
                pk=self.model._meta.pk.column,
                assignments=", ".join(assignments),
                # (text[] against an array column of varchar needs the cast; the other columns compare as they are)
                old=", ".join("m.{}::{}".format(name, self._sql_type(name)) if name in arrays else "m." + name for name in imported),
                new=", ".join("t." + name for name in imported),
            ),
            params,
        )
        # Every other column gets the model's default, so a field added to the model later does
        # not break the import (its NOT NULL columns have no database default).
        overrides = self.insert_values()
        columns, values, params = [], [], []
        for model_field in self.model._meta.concrete_fields:
            if model_field.primary_key or getattr(model_field, "generated", False):
                continue
            column = model_field.column
            columns.append(column)
            if column in imported:
                values.append("t." + column)
            elif column in overrides:
                sql, extra_params = overrides[column]
                values.append(sql)
                params.extend(extra_params)
            elif getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
                values.append("now()")
            else:
                values.append("%s")
                params.append(model_field.get_db_prep_save(model_field.get_default(), connection))
        cursor.execute(
            "INSERT INTO {table} ({columns}) SELECT {values} FROM {rows} t WHERE t.matched_id IS NULL ORDER BY t.row_number".format(
                table=table, columns=", ".join(columns), values=", ".join(values), rows=rows
            ),
            params,
        )

    def _sql_type(self, column_name):
        return next(column.sql_type for column in self.columns if column.column == column_name)


def column_labels(importer_class):
    """``{column name: label}`` of a declaration: what its export writes as the header."""
    return {column.name: importer_class.column_label(column) for column in importer_class.columns}


__all__ = [
    "Boolean", "CellError", "Choice", "Choices", "ImportColumn", "ImportRefused", "ImportResult", "Importer",
    "Text", "column_labels", "date", "fold_width", "parse_date",
]
