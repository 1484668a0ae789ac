"""Guards against input the portal can neither store nor compute with.

One rule book for every way input arrives (the request middleware, the API's parsers and base
serializer, the base form), so a new app inherits it instead of meeting each case as a server
error:

- text holding a NUL character: PostgreSQL can neither store nor compare it;
- text holding a lone surrogate (JSON's ``"\\ud800"`` decodes to one): it has no UTF-8 encoding,
  so it cannot reach the database either;
- JSON nested deeper than any request body of the API (``[`` × 100,000 exhausts the parser's stack);
- dates outside the years the domain uses: a date near 9999-12-31 plus a term, a correction
  period or a validity overflows Python's calendar.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# No request body of the API comes near this (a bulk list of rows is 2 levels deep).
MAX_JSON_DEPTH = 64
# The party was founded in 1921; a date far beyond the next centuries is a typing error, and
# keeping below 3000 leaves every domain period (terms, corrections, validity) room to be added.
EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2999, 12, 31)

_SURROGATE = re.compile("[\ud800-\udfff]")


class NestedTooDeep(ValueError):
    """A JSON document nested deeper than ``MAX_JSON_DEPTH``."""


def text_problem(text):
    """Why ``text`` cannot be stored (a translated message), or ``None`` when it can."""
    if "\x00" in text:
        return _("Null characters are not allowed.")
    match = _SURROGATE.search(text)
    if match:
        return _("Surrogate characters are not allowed: U+{code}.").format(code="{:04X}".format(ord(match.group())))
    return None


def value_problem(value, max_depth=None):
    """The first text inside ``value`` (a string, or lists and mappings of them, keys included)
    that cannot be stored: ``(top-level key or None, message)``, or ``None``.

    Walks iteratively, so a deep document costs no stack; raises ``NestedTooDeep`` past
    ``max_depth`` levels of lists and mappings when a limit is given.
    """
    stack = [(value, 0, None)]
    while stack:
        item, depth, top = stack.pop()
        if isinstance(item, str):
            message = text_problem(item)
            if message:
                return top, message
        elif isinstance(item, (dict, list, tuple)):
            if max_depth is not None and depth >= max_depth:
                raise NestedTooDeep(depth)
            if isinstance(item, dict):
                for key, child in item.items():
                    key_top = key if depth == 0 else top
                    if isinstance(key, str):
                        message = text_problem(key)
                        if message:
                            return (None if depth == 0 else top), message
                    stack.append((child, depth + 1, key_top))
            else:
                stack.extend((child, depth + 1, top) for child in item)
    return None


def query_dict_problem(query_dict):
    """The first key or value of a ``QueryDict`` (a form body, a query string) that cannot be
    stored: ``(key or None, message)``, or ``None``."""
    for key, values in query_dict.lists():
        message = text_problem(key)
        if message:
            return None, message
        for value in values:
            if isinstance(value, str):
                message = text_problem(value)
                if message:
                    return key, message
    return None


def date_range_message():
    return _("Enter a date between {earliest} and {latest}.").format(
        earliest=EARLIEST_DATE.isoformat(), latest=LATEST_DATE.isoformat()
    )


def validate_date_in_range(value):
    """A validator for date and date-time fields (forms and serializers alike)."""
    if value is None:
        return
    day = value.date() if isinstance(value, datetime.datetime) else value
    if isinstance(day, datetime.date) and not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValidationError(date_range_message(), code="date_out_of_range")
