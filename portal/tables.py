"""Minimal declarative tables for list pages (the columns an app's list page shows)."""

from dataclasses import dataclass

from django.utils.formats import localize


@dataclass
class Column:
    """One column: ``accessor`` is an attribute path ("parent.name") or a callable of the row."""

    accessor: object
    label: str
    link: bool = False
    css: str = ""

    def value(self, row):
        if callable(self.accessor):
            return self.accessor(row)
        value = row
        for part in self.accessor.split("."):
            if value is None:
                return ""
            display = getattr(value, "get_{}_display".format(part), None)
            value = display() if display else getattr(value, part)
            if callable(value) and not hasattr(value, "all"):
                value = value()
        if value is None:
            return ""
        if isinstance(value, bool):
            return "✓" if value else ""
        return localize(value)


class Table:
    """A list of columns; subclasses declare ``columns``."""

    columns = ()

    def __init__(self, rows):
        self.rows = rows

    def header(self):
        return [column.label for column in self.columns]

    def body(self):
        for row in self.rows:
            yield row, [(column, column.value(row)) for column in self.columns]
