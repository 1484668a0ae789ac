"""The portal's importer engine on its own: parsers by code or label in either language, the COPY
line writer's escaping, and the header's ranks (name, alias, label)."""

import datetime

import pytest
from django.db import models

from portal.importer import Boolean, CellError, Choice, Choices, ImportColumn, Importer, Text, copy_line_writer, date


class Colour(models.TextChoices):
    RED = "red", "Red"
    DARK_BLUE = "dark_blue", "Dark blue"


def test_choice_by_code_or_label_in_any_case():
    parse = Choice(Colour).bind()
    assert [parse(text) for text in ("red", "RED", "Dark Blue", "dark_blue")] == ["red", "red", "dark_blue", "dark_blue"]
    with pytest.raises(CellError) as refused:
        parse("Green")
    assert refused.value.message == "green is not one of: dark_blue, red."


def test_several_choices_with_any_separator():
    parse = Choices(Colour)
    assert parse("red; Dark blue、red，dark_blue") == ["red", "dark_blue"]
    with pytest.raises(CellError):
        parse("red;green")


@pytest.mark.parametrize("text, value", [("是", True), ("否", False), ("Yes", True), ("no", False), ("1", True), ("FALSE", False)])
def test_booleans_in_both_languages(text, value):
    assert Boolean()(text) is value


def test_text_dates_and_full_width_digits():
    assert Text(3).bind()("abc") == "abc"
    with pytest.raises(CellError):
        Text(3).bind()("abcd")
    assert date("２０２０年１月５日") == datetime.date(2020, 1, 5)
    with pytest.raises(CellError):
        date("05/01/2020")


def test_copy_line_escapes_text_and_arrays():
    write = copy_line_writer(["text", "date", "boolean", "bigint", "text[]", "text"])
    line = write(7, {"a": "tab\there\\", "b": datetime.date(2020, 1, 2), "c": False, "d": None, "e": ["x", 'y "z"'], "f": None})
    assert line == '7\ttab\\there\\\\\t2020-01-02\tf\t\\N\t{x,"y \\\\"z\\\\""}\t\\N\n'


class _Declared(Importer):
    columns = [ImportColumn("code", aliases=["Code of the thing"], label="Thing"), ImportColumn("name", label="Code")]


def test_a_header_cell_is_read_by_rank_then_position():
    positions, errors = _Declared.header_errors(["thing", "code of the thing", "Code", "name"])
    # "code" is a column's name (rank 0) before the other column's label; "name" its own name.
    assert positions == {"code": 2, "name": 3} and errors == []
    positions, errors = _Declared.header_errors(["thing", "other"])
    assert positions == {"code": 0} and [error["field"] for error in errors] == ["name"]
