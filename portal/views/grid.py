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
    rating's cells cannot change). ``name_format`` builds the posted field name from the column
    name and the row key. ``width`` is ``narrow``, ``wide`` or empty (a class, not a style: the
    Content-Security-Policy allows no inline style).
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
    minimum: int = 0
    maximum: int = MAX_GRID_INT

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError("A grid column's kind is one of {}, not {!r}.".format(KINDS, self.kind))
        if not self.widget:
            self.widget = "radio" if self.kind == "choice" else {"int": "number", "date": "date"}.get(self.kind, "text")

    def field_name(self, key):
        return self.name_format.format(name=self.name, key=key)

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
                raise ValidationError(_("A whole number of {minimum} or more.").format(minimum=self.minimum))
            number = int(raw)
            if number < self.minimum:
                raise ValidationError(_("A whole number of {minimum} or more.").format(minimum=self.minimum))
            if number > self.maximum:
                raise ValidationError(_("At most {maximum}.").format(maximum=self.maximum))
            return number
        if self.kind == "date":
            try:
                day = datetime.date.fromisoformat(raw)
            except ValueError:
                raise ValidationError(_("A date (YYYY-MM-DD).")) from None
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
        return all(cell.value in (None, "") for cell in self.cells if cell.column.kind == "choice")


@dataclasses.dataclass
class GridRowData:
    """One row as the save service receives it: ``values`` holds the posted columns only
    (a column absent from the form is absent here), each cleaned (None for an empty cell)."""

    key: Any
    object: Any
    values: dict


class GridErrors:
    """Messages of a refused save: per cell ``(row key, column name)`` and above the grid."""

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
    """A generic entry grid of one organization (see the module docstring for the declaration)."""

    row_model = None
    # The model whose ``organization_action`` saving needs (the rows' model unless the grid writes another).
    action_model = None
    columns: Sequence[GridColumn] = ()
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
        path = self.row_model.scope_organization.split("__")
        model = self.row_model
        for part in path:
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

    def get_columns(self, organization):
        columns = []
        for column in self.columns:
            choices = column.choices(self, organization) if callable(column.choices) else column.choices
            # Values as the form posts them, so a posted "12" matches the choice 12.
            column = dataclasses.replace(column, choices=[(str(value), label) for value, label in choices])
            columns.append(column)
        return columns

    def row_key(self, obj):
        return obj.pk

    def row_label(self, obj):
        return str(obj)

    def get_title(self, organization):
        return str(self.title).format(organization=organization.name) if self.title else str(organization)

    def get_extra_context(self, organization, rows, may_change):
        """What the app's own template blocks need (counts, workflow buttons...)."""
        return {}

    def save_rows(self, organization, rows):
        """Save every row in one service call (the view runs it inside one transaction)."""
        return type(self).save_service(organization, self.request.user, rows)

    def get_success_url(self, organization):
        return self.request.path

    # --- rendering ----------------------------------------------------------------------------

    def build_rows(self, objects, columns, posted=None, errors=None):
        rows = []
        for index, obj in enumerate(objects):
            key = self.row_key(obj)
            cells = []
            for column in columns:
                name = column.field_name(key)
                if posted is not None and name in posted:
                    value = posted[name]
                else:
                    value = column.initial(obj)
                cells.append(
                    GridCell(
                        column=column,
                        name=name,
                        value=value,
                        errors=errors.for_cell(key, column.name) if errors else [],
                        disabled=bool(column.disabled and column.disabled(obj)),
                    )
                )
            rows.append(GridRow(key=key, object=obj, cells=cells, index=index))
        return rows

    def context(self, organization, posted=None, errors=None, summary=None):
        may_change = self.may_change(organization)
        columns = self.get_columns(organization)
        objects = self.get_row_objects(organization)
        rows = self.build_rows(objects, columns, posted, errors)
        return {
            "organization": organization,
            "grid_title": self.get_title(organization),
            "columns": columns,
            "rows": rows,
            "may_change": may_change,
            "grid_errors": errors.page if errors else [],
            "grid_has_errors": bool(errors),
            "grid_summary": summary,
            "grid_save_label": self.save_label or _("Save all rows"),
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

    def parse(self, organization, objects, columns, data):
        """The posted cells as ``GridRowData`` rows, the raw posted values, and the parse errors."""
        errors = GridErrors()
        posted = {}
        rows = []
        known = set()
        for obj in objects:
            key = self.row_key(obj)
            values = {}
            for column in columns:
                name = column.field_name(key)
                known.add(name)
                if name not in data:
                    continue
                raw = data.get(name)
                posted[name] = raw
                # A locked cell (a final rating) is still passed on: the service refuses a change
                # to it with a conflict, rather than the grid dropping it silently.
                try:
                    values[column.name] = column.clean(raw)
                except ValidationError as error:
                    errors.add_cell(key, column.name, error.messages)
            rows.append(GridRowData(key=key, object=obj, values=values))
        # A posted cell of a row that is not (or no longer) in this grid: another organization's
        # member, or one who moved away since the grid was opened. Never saved silently.
        prefixes = {column.name_format.split("{key}")[0].format(name=column.name) for column in columns}
        strays = [key for key in data if key not in known and any(key.startswith(p) for p in prefixes if p)]
        if strays:
            errors.page.append(
                _("{count} posted row(s) are not part of this grid (reload the page to see its current rows).").format(
                    count=len(strays)
                )
            )
        return rows, posted, errors

    def post(self, request, *args, **kwargs):
        organization = self.get_organization()
        if not self.may_change(organization):
            raise PermissionDenied(_("You may not change the rows of this organization."))
        columns = self.get_columns(organization)
        objects = self.get_row_objects(organization)
        rows, posted, errors = self.parse(organization, objects, columns, request.POST)
        if errors:
            return self.render_grid(organization, status=400, posted=posted, errors=errors)
        try:
            with transaction.atomic():
                summary = self.save_rows(organization, rows)
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
