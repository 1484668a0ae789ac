"""Hostile input: values every JSON endpoint and every form must answer with a 4xx, never a 5xx
(security audit, issue 8 finding 3). ``tests/portal/test_hostile_inputs.py`` posts them to every
operation of the OpenAPI schema and every form of every page; an app's own tests can reuse them.

Each value is ``(name, value)``; the name is what a failing test reports.
"""

import datetime

NUL = "a\x00b"
LONE_SURROGATE = "a\ud800b"  # what JSON's "\ud800" decodes to; it has no UTF-8 encoding
LONG_TEXT = "x" * 10_000
LONG_USERNAME = "u" * 300  # axes' lock-out table holds 255 characters
NON_ASCII_DIGITS = "٣٤"  # Arabic-Indic 3 and 4: int() takes them, PostgreSQL does not
SUPERSCRIPT_DIGIT = "²"  # str.isdigit() says yes, int() says no
HUGE_INT = 10**30  # beyond bigint
NEGATIVE_ID = -1
LAST_DAY = "9999-12-31"  # plus any period overflows Python's calendar
FIRST_DAY = "0001-01-01"  # minus any period underflows it

# Text values (any field, form or JSON).
TEXT_VALUES = [
    ("nul", NUL),
    ("long-text", LONG_TEXT),
    ("non-ascii-digits", NON_ASCII_DIGITS),
    ("superscript-digit", SUPERSCRIPT_DIGIT),
    ("huge-int-text", str(HUGE_INT)),
    ("negative-text", "-1"),
    ("last-day", LAST_DAY),
    ("first-day", FIRST_DAY),
]
# Values only JSON can carry (a form body decodes a lone surrogate's bytes to U+FFFD).
JSON_ONLY_VALUES = [
    ("lone-surrogate", LONE_SURROGATE),
    ("huge-int", HUGE_INT),
    ("negative-int", NEGATIVE_ID),
    ("float-huge", 1e308),
    ("list", [NUL]),
    ("object", {"a": NUL}),
]
JSON_VALUES = TEXT_VALUES + JSON_ONLY_VALUES
FORM_VALUES = TEXT_VALUES


def deep_array(levels=100_000):
    """``[[[...]]]`` as raw JSON text: Python's decoder recurses once per level."""
    return "[" * levels + "]" * levels


def deep_object(levels=100_000):
    """``{"a": {"a": ...}}`` as raw JSON text."""
    return '{"a":' * levels + "1" + "}" * levels


# Whole bodies sent as raw JSON text to every operation.
RAW_JSON_BODIES = [
    ("deep-array", deep_array()),
    ("deep-object", deep_object()),
    ("deep-array-70", deep_array(70)),
    ("invalid-json", '{"a": '),
    ("lone-surrogate-escape", '{"name": "\\ud800"}'),
    ("nul-escape", '{"name": "\\u0000"}'),
    ("nul-key", '{"\\u0000": 1}'),
    ("nan", '{"name": NaN}'),
]


def far_dates():
    """Dates the portal must refuse before computing with them."""
    return [datetime.date(9999, 12, 31), datetime.date(1, 1, 1)]
