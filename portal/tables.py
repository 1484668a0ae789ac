"""Declarative tables: the columns a list page shows are also the columns of its export.

A table declares ``columns``; each ``Column`` knows how to read its value from a row
(an attribute path such as ``"parent.name"``, where a field with choices gives its label, or a
callable of the row). The page shows the values localized (``value``); the export
(``portal.export.ListExporter``) writes the same values typed (``export_value``: dates stay dates,
numbers numbers, a choice its label in the user's language). ``on_page=False`` declares a column
only the export has (an organization's code beside its name); ``export=False`` one only the page has.

Per-row preparation that depends on the user (masking an ID number for a user without
personal-data rights on that member) is the table's ``prepare`` hook, run for every row of the
page and of the export alike, so a masked value cannot leak through one and not the other.
"""

from django.core.exceptions import FieldDoesNotExist
from django.utils.formats import localize
from django.utils.functional import Promise
from django.utils.translation import gettext


class Column:
    """One column: ``accessor`` is an attribute path ("parent.name") or a callable of the row;
    ``label`` its (translatable) header; ``key`` a stable name (the accessor when it is a path)."""

    # Whether a field with choices is read as its label (``get_FOO_display``) rather than its code.
    choice_labels = True

    def __init__(self, accessor, label, link=False, css="", key=None, on_page=True, export=True):
        self.accessor = accessor
        self.label = label
        self.link = link
        self.css = css
        self.key = key or (accessor if isinstance(accessor, str) else getattr(accessor, "__name__", ""))
        self.on_page = on_page
        self.export = export

    def __repr__(self):
        return "<{} {}>".format(type(self).__name__, self.key)

    def typed_value(self, row, labels=None):
        """The value as Python has it (a date, a number, a choice's label, ``None``).

        ``labels``, a dict the caller keeps for one export in one language, holds each choice
        field's labels translated once (Django's ``get_FOO_display`` hashes and translates every
        choice again for every cell: most of an export's time)."""
        if callable(self.accessor):
            return self.accessor(row)
        value = row
        for part in self.accessor.split("."):
            if value is None:
                return None
            display = getattr(value, "get_{}_display".format(part), None) if self.choice_labels else None
            if display is not None and labels is not None:
                key = (type(value), part)
                choices = labels.get(key)
                if choices is None:
                    try:
                        flat = value._meta.get_field(part).flatchoices
                    except FieldDoesNotExist:  # a display method of the model's own (no field behind it)
                        flat = None
                    choices = labels[key] = {code: str(label) for code, label in flat} if flat else False
                if choices is not False:
                    code = getattr(value, part)
                    value = choices.get(code, code)
                    continue
            value = display() if display else getattr(value, part)
            if callable(value) and not hasattr(value, "all"):
                value = value()
        return value

    def value(self, row):
        """The value as the page shows it: localized, a tick for yes, empty for nothing."""
        value = self.typed_value(row)
        if value is None:
            return ""
        if isinstance(value, bool):
            return "✓" if value else ""
        return localize(value)

    def export_value(self, row, labels=None):
        """The value as an export cell: typed (the writers format dates and numbers), yes/no in words."""
        value = self.typed_value(row, labels)
        if isinstance(value, bool):
            if labels is None:
                return gettext("Yes") if value else gettext("No")
            if value not in labels:
                labels[value] = gettext("Yes") if value else gettext("No")
            return labels[value]
        if isinstance(value, Promise):  # a lazily translated label: in the language of the export
            return str(value)
        return value


class Table:
    """A list of columns; subclasses declare ``columns`` and may ``prepare`` each row for ``user``."""

    columns = ()

    def __init__(self, rows, user=None):
        self.user = user
        self.rows = rows

    def prepare(self, row):
        """``row`` made ready to show to ``self.user`` (e.g. masked); the page and the export both call it."""
        return row

    @classmethod
    def page_columns(cls):
        return [column for column in cls.columns if column.on_page]

    @classmethod
    def export_columns(cls):
        return [column for column in cls.columns if column.export]

    def header(self):
        return [column.label for column in self.page_columns()]

    def body(self):
        columns = self.page_columns()
        for row in self.rows:
            row = self.prepare(row)
            yield row, [(column, column.value(row)) for column in columns]
