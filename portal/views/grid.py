"""The per-organization entry grid: one row per member (or object) of an organization, one column
per declared field, filled from the keyboard and saved all at once.

An app declares a grid; the portal does the work::

    class AttendanceGridView(EntryGridView):
        row_model = Attendance                    # scoped; rows are restricted to what the user sees
        columns = [
            GridColumn("present", _("Present"), kind="choice", choices=PresenceChoices.choices),
            GridColumn("note", _("Note"), kind="text", width="wide"),
        ]
        save_service = services.save_attendance  # (organization, user, rows) -> summary text
        title = _("Attendance of {organization}")

What the grid guarantees, for every app:

* **Scope.** The organization comes from ``portal.scope.restrict`` (outside the user's view: 404),
  the rows too; saving needs ``organization_action`` on ``row_model`` there (visible but not
  allowed: 403). A role with no view of ``row_model`` anywhere gets 403 before anything is read.
* **All or nothing.** Each cell is parsed by its column's kind (choice, int, text, date); any bad
  cell, any posted row that is not one of the grid's rows, or a ``ValidationError`` from the
  service re-renders the grid with the user's posted values and the message on its cell (or above
  the grid), status 400, and nothing is saved: the service runs in one transaction.
* **One service call.** ``save_service(organization, user, rows)`` receives every row as a
  :class:`GridRowData` and returns the summary shown to the user ("Saved 13 ratings: 3 changed").
  It reports a bad cell by raising ``ValidationError({(row key, column name): [messages]})``
  (other keys are shown above the grid) and a state that forbids the change (a final rating) by
  raising one of ``conflict_exceptions`` (409, a clear message above the grid, nothing saved).
* **htmx.** The form posts through htmx when it is there: the answer is the grid region alone
  (summary, rows, the app's extras), swapped in place; without JavaScript the save redirects
  back with the summary as a message. ``portal/static/portal/grid.js`` gives the keyboard
  behaviour (focus on the first row, number keys pick a choice, arrows move, Ctrl+S saves) and
  warns before leaving with unsaved changes.
"""

import dataclasses
import datetime
from collections.abc import Callable, Sequence
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View

from portal import scope
from portal.input_guards import date_range_message, text_problem, validate_date_in_range
from portal.workflow import WorkflowConflict

# Counts entered in a grid (votes, attendance, scores) are far below the columns' 2**31 - 1.
MAX_GRID_INT = 100_000
KINDS = ("choice", "int", "text", "date")


@dataclasses.dataclass
class GridColumn:
    """One declared field of a grid: its input name, label, kind and how a cell of it is read.

    ``choices`` is ``[(value, label)]`` (or a callable of the view and the organization returning
    them, for choices read from the database). ``value`` is an attribute path of the row object
    ("member__name") or a callable of it; ``disabled`` a callable of the row object (a final
    rating's cells cannot change), ``applies`` one saying whether the row has this cell at all
    (else ``absent_text`` is shown and nothing is read). ``name_format`` builds the posted field
    name from the column name, the row key and the row object (``"reason-{row.member_id}"``).
    ``group`` puts columns under a shared heading ("Votes for outstanding": group, non-party).
    ``width`` is ``narrow``, ``wide`` or empty and ``input_class`` adds classes to the input (classes,
    not styles: the Content-Security-Policy allows no inline style).
    """

    name: str
    label: Any
    kind: str = "choice"
    choices: Sequence | Callable = ()
    width: str = ""
    widget: str = ""
    value: str | Callable | None = None
    disabled: Callable | None = None
    name_format: str = "{name}-{key}"
    applies: Callable | None = None
    absent_text: Any = ""
    group: Any = ""
    input_class: str = ""
    minimum: int = 0
    maximum: int = MAX_GRID_INT

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError("A grid column's kind is one of {}, not {!r}.".format(KINDS, self.kind))
        if not self.widget:
            self.widget = "radio" if self.kind == "choice" else {"int": "number", "date": "date"}.get(self.kind, "text")

    def field_name(self, key, obj=None):
        return self.name_format.format(name=self.name, key=key, row=obj)

    @property
    def field_prefix(self):
        """The part of every field name of this column before the row's part ("" for a single field)."""
        return self.name_format.replace("{name}", self.name).split("{")[0] if "{" in self.name_format.replace("{name}", "") else ""

    def applies_to(self, obj):
        return self.applies is None or bool(self.applies(obj))

    def initial(self, obj):
        """The stored value of this column for the row object (None when there is none)."""
        if callable(self.value):
            return self.value(obj)
        value = obj
        for part in (self.value or self.name).split("__"):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value

    def clean(self, raw):
        """The posted text as this column's value (None when empty); ``ValidationError`` when it is not one."""
        raw = raw.strip() if self.kind != "text" else raw
        if raw == "":
            return None
        if self.kind == "choice":
            values = [str(value) for value, _label in self.choices]
            if raw not in values:
                raise ValidationError(_("Choose one of the offered values."))
            return raw
        if self.kind == "int":
            # ASCII digits only: int() would also take "٣" or " 3 ", and str.isdigit() takes "²".
            if not (raw.isascii() and raw.isdigit()):
                raise ValidationError(_("Enter a whole number of {minimum} or more.").format(minimum=self.minimum))
            number = int(raw)
            if number < self.minimum:
                raise ValidationError(_("Enter a whole number of {minimum} or more.").format(minimum=self.minimum))
            if number > self.maximum:
                raise ValidationError(_("Enter a whole number of at most {maximum}.").format(maximum=self.maximum))
            return number
        if self.kind == "date":
            try:
                day = datetime.date.fromisoformat(raw)
            except ValueError:
                raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from None
            try:
                validate_date_in_range(day)
            except ValidationError:
                raise ValidationError(date_range_message()) from None
            return day
        problem = text_problem(raw)
        if problem:
            raise ValidationError(problem)
        return raw


@dataclasses.dataclass
class GridCell:
    """One cell as rendered: the column, its field name, the value shown and its messages."""

    column: GridColumn
    name: str
    value: Any
    errors: list
    disabled: bool
    absent: bool = False

    @property
    def text(self):
        """The value as the input shows it ("" for none)."""
        if self.value is None:
            return ""
        if isinstance(self.value, datetime.date):
            return self.value.isoformat()
        return str(self.value)


@dataclasses.dataclass
class GridRow:
    """One row as rendered: the row object, its key and its cells."""

    key: Any
    object: Any
    cells: list
    index: int = 0

    @property
    def errors(self):
        return [message for cell in self.cells for message in cell.errors]

    @property
    def is_empty(self):
        """No choice made in any choice column (shown, so an unrated member is not overlooked)."""
        choices = [cell for cell in self.cells if cell.column.kind == "choice" and not cell.absent]
        return bool(choices) and all(cell.value in (None, "") for cell in choices)


@dataclasses.dataclass
class GridRowData:
    """One row as the save service receives it: ``values`` holds the posted columns only
    (a column absent from the form is absent here), each cleaned (None for an empty cell)."""

    key: Any
    object: Any
    values: dict


HEADER_KEY = "__header__"


class GridErrors:
    """Messages of a refused save: per cell ``(row key, column name)``, per header field
    ``("__header__", field name)``, and above the grid."""

    def __init__(self):
        self.cells = {}
        self.page = []

    def __bool__(self):
        return bool(self.cells or self.page)

    def add_cell(self, key, column, messages_):
        self.cells.setdefault((str(key), column), []).extend(str(m) for m in messages_)

    def add_validation_error(self, error):
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                texts = [message for item in errors for message in item.messages]
                if isinstance(field, tuple) and len(field) == 2:
                    self.add_cell(field[0], field[1], texts)
                else:
                    self.page.extend(texts)
        else:
            self.page.extend(str(message) for message in error.messages)

    def for_cell(self, key, column):
        return self.cells.get((str(key), column), [])


class EntryGridView(LoginRequiredMixin, View):
    """A generic entry grid of one organization (see the module docstring for the declaration).

    ``header_columns`` are fields of the organization's sheet as a whole (a meeting's date, the
    number of representatives), read from ``get_header_object`` and handed to the save as
    ``header`` (a dict of the posted ones, cleaned); their field name is ``name_format`` with the
    column's name only (``"{name}"``).
    """

    row_model = None
    # The model whose ``organization_action`` saving needs (the rows' model unless the grid writes another).
    action_model = None
    columns: Sequence[GridColumn] = ()
    header_columns: Sequence[GridColumn] = ()
    save_service = None
    organization_action = "change"
    organization_url_kwarg = "code"
    organization_lookup = "code"
    conflict_exceptions = (WorkflowConflict,)
    template_name = "generic/grid.html"
    region_template_name = "generic/grid_region.html"
    # "Ratings of {organization}", formatted with the organization's name.
    title = ""
    save_label = ""
    # The heading of the rows' label column.
    row_header = _lazy("Name")
    # Shown above the grid and read by screen readers with it.
    keyboard_help = ""
    # Element ids and classes of the page (an app keeps the ones its scripts and tests know).
    grid_id = "grid"
    grid_form_id = "grid-form"
    grid_save_id = "grid-save"
    grid_help_id = "grid-help"
    grid_row_class = ""
    grid_choice_class = ""

    @classmethod
    def may_open(cls, user):
        """Whether ``user``'s role opens this grid at all (links to it are shown only then)."""
        return scope.may_ever(user, "view", cls.row_model)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not self.may_open(request.user):
            raise PermissionDenied(_("Your role does not give access to this page."))
        return super().dispatch(request, *args, **kwargs)

    # --- what a grid is about ------------------------------------------------------------------

    def organization_queryset(self):
        """Organizations the user may see (the tree model is the one ``row_model`` belongs to)."""
        model = self.row_model
        for part in self.row_model.scope_organization.split("__"):
            model = model._meta.get_field(part).related_model
        return scope.restrict(model.objects.all(), self.request.user, "view")

    def get_organization(self):
        """The organization of the URL, if the user may see it; 404 otherwise (never reveal it exists)."""
        value = self.kwargs.get(self.organization_url_kwarg)
        organization = self.organization_queryset().filter(**{self.organization_lookup: value}).first()
        if organization is None:
            raise Http404(_("No organization with code {code} in your scope.").format(code=value))
        return organization

    def may_change(self, organization):
        return scope.allows(self.request.user, self.organization_action, self.action_model or self.row_model, organization)

    def row_queryset(self, organization):
        """The rows of ``organization`` (restricted to the user's view by the grid)."""
        return self.row_model.objects.filter(**{self.row_model.scope_organization: organization})

    def get_row_objects(self, organization):
        return list(scope.restrict(self.row_queryset(organization), self.request.user, "view"))

    def get_header_object(self, organization):
        """What the header fields are read from (None: they start empty)."""
        return None

    def _with_choices(self, columns, organization):
        result = []
        for column in columns:
            choices = column.choices(self, organization) if callable(column.choices) else column.choices
            # Values as the form posts them, so a posted "12" matches the choice 12.
            result.append(dataclasses.replace(column, choices=[(str(value), label) for value, label in choices]))
        return result

    def get_columns(self, organization):
        return self._with_choices(self.columns, organization)

    def get_header_columns(self, organization):
        return self._with_choices(self.header_columns, organization)

    def row_key(self, obj):
        return obj.pk

    def row_label(self, obj):
        return str(obj)

    def get_title(self, organization):
        return str(self.title).format(organization=organization.name) if self.title else str(organization)

    def get_extra_context(self, organization, rows, may_change):
        """What the app's own template blocks need (counts, workflow buttons...)."""
        return {}

    def save_rows(self, organization, rows, header=None):
        """Save every row in one service call (the view runs it inside one transaction)."""
        if self.header_columns:
            return type(self).save_service(organization, self.request.user, rows, header=header)
        return type(self).save_service(organization, self.request.user, rows)

    def get_success_url(self, organization):
        return self.request.path

    # --- rendering ----------------------------------------------------------------------------

    def _cell(self, column, key, obj, posted, errors):
        name = column.field_name(key, obj)
        absent = obj is not None and not column.applies_to(obj)
        if posted is not None and name in posted:
            value = posted[name]
        else:
            value = column.initial(obj) if obj is not None and not absent else None
        return GridCell(
            column=column,
            name=name,
            value=value,
            errors=errors.for_cell(key, column.name) if errors else [],
            disabled=bool(obj is not None and not absent and column.disabled and column.disabled(obj)),
            absent=absent,
        )

    def build_rows(self, objects, columns, posted=None, errors=None):
        rows = []
        for index, obj in enumerate(objects):
            key = self.row_key(obj)
            cells = [self._cell(column, key, obj, posted, errors) for column in columns]
            rows.append(GridRow(key=key, object=obj, cells=cells, index=index))
        return rows

    @staticmethod
    def column_heads(columns):
        """The table's heading: one row, or two when columns are grouped (a group's label spans
        its columns, an ungrouped column spans both rows)."""
        if not any(column.group for column in columns):
            return None
        heads = []
        for column in columns:
            if column.group and heads and heads[-1]["group"] == column.group:
                heads[-1]["colspan"] += 1
            else:
                heads.append({"group": column.group, "column": column, "colspan": 1})
        return heads

    def messages_of(self, errors, rows, header_cells):
        """Every message of a refused save as one list: above the grid first, then the header
        fields', then each cell's with its row and column ("Wang Fang, Votes: ...")."""
        if not errors:
            return []
        result = list(errors.page)
        result.extend(message for cell in header_cells for message in cell.errors)
        for row in rows:
            for cell in row.cells:
                for message in cell.errors:
                    result.append(
                        _("{row}, {column}: {message}").format(
                            row=self.row_label(row.object), column=cell.column.label, message=message
                        )
                    )
        return result

    def context(self, organization, posted=None, errors=None, summary=None):
        may_change = self.may_change(organization)
        columns = self.get_columns(organization)
        objects = self.get_row_objects(organization)
        rows = self.build_rows(objects, columns, posted, errors)
        header_object = self.get_header_object(organization)
        header_cells = []
        for column in self.get_header_columns(organization):
            cell = self._cell(column, HEADER_KEY, None, posted, errors)
            if (posted is None or cell.name not in posted) and header_object is not None:
                cell.value = column.initial(header_object)
            header_cells.append(cell)
        return {
            "organization": organization,
            "grid_title": self.get_title(organization),
            "columns": columns,
            "column_heads": self.column_heads(columns),
            "header_cells": header_cells,
            "rows": rows,
            "may_change": may_change,
            "grid_errors": errors.page if errors else [],
            "grid_messages": self.messages_of(errors, rows, header_cells),
            "grid_has_errors": bool(errors),
            "grid_summary": summary,
            "grid_save_label": self.save_label or _("Save all rows"),
            "grid_row_header": self.row_header,
            "grid_keyboard_help": self.keyboard_help,
            "region_template": self.region_template_name,
            "grid_id": self.grid_id,
            "grid_form_id": self.grid_form_id,
            "grid_save_id": self.grid_save_id,
            "grid_help_id": self.grid_help_id if self.keyboard_help else "",
            "grid_row_class": self.grid_row_class,
            "grid_choice_class": self.grid_choice_class,
            **self.get_extra_context(organization, rows, may_change),
        }

    def render_grid(self, organization, status=200, **kwargs):
        context = self.context(organization, **kwargs)
        if self.request.headers.get("HX-Request"):
            return render(self.request, self.region_template_name, context, status=status)
        return render(self.request, self.template_name, context, status=status)

    # --- requests -----------------------------------------------------------------------------

    def get(self, request, *args, **kwargs):
        return self.render_grid(self.get_organization())

    @staticmethod
    def _read(column, key, name, data, values, posted, errors):
        raw = data.get(name)
        posted[name] = raw
        try:
            values[column.name] = column.clean(raw)
        except ValidationError as error:
            errors.add_cell(key, column.name, error.messages)

    def parse(self, organization, objects, columns, data, header_columns=()):
        """The posted cells as ``GridRowData`` rows, the posted header fields (cleaned), the raw
        posted values, and the parse errors."""
        errors = GridErrors()
        posted = {}
        header = {}
        for column in header_columns:
            name = column.field_name(HEADER_KEY)
            if name in data:
                self._read(column, HEADER_KEY, name, data, header, posted, errors)
        rows = []
        known = set()
        for obj in objects:
            key = self.row_key(obj)
            values = {}
            for column in columns:
                name = column.field_name(key, obj)
                known.add(name)
                # A locked cell (a final rating) is still passed on: the service refuses a change
                # to it with a conflict, rather than the grid dropping it silently.
                if name in data and column.applies_to(obj):
                    self._read(column, key, name, data, values, posted, errors)
            rows.append(GridRowData(key=key, object=obj, values=values))
        # A posted cell of a row that is not (or no longer) in this grid: another organization's
        # member, or one who moved away since the grid was opened. Never saved silently.
        prefixes = {column.field_prefix for column in columns} - {""}
        strays = [name for name in data if name not in known and name.startswith(tuple(prefixes))]
        if strays:
            errors.page.append(
                _("{count} posted row(s) are not part of this grid (reload the page to see its current rows).").format(
                    count=len(strays)
                )
            )
        return rows, header, posted, errors

    def post(self, request, *args, **kwargs):
        organization = self.get_organization()
        if not self.may_change(organization):
            raise PermissionDenied(_("You may not change the rows of this organization."))
        columns = self.get_columns(organization)
        objects = self.get_row_objects(organization)
        rows, header, posted, errors = self.parse(
            organization, objects, columns, request.POST, self.get_header_columns(organization)
        )
        if errors:
            return self.render_grid(organization, status=400, posted=posted, errors=errors)
        try:
            with transaction.atomic():
                summary = self.save_rows(organization, rows, header=header)
        except self.conflict_exceptions as conflict:
            errors.page.append(str(getattr(conflict, "message", conflict)))
            return self.render_grid(organization, status=409, posted=posted, errors=errors)
        except ValidationError as error:
            errors.add_validation_error(error)
            return self.render_grid(organization, status=400, posted=posted, errors=errors)
        if request.headers.get("HX-Request"):
            # The grid swaps in place: fresh rows from the database and what was saved.
            return self.render_grid(organization, summary=summary)
        messages.success(request, summary)
        return HttpResponseRedirect(self.get_success_url(organization))
