"""Keeps personal data (ID numbers, phone numbers, member searches) out of every log line.

Two layers:

* **Search text never reaches a log.** The value of a search parameter (``q``, ``search``) or of
  any parameter named like an ID number or phone (``id_number``, ``phone``, ``mobile``, ...) in a
  URL is replaced by ``[redacted]``: a member search by the last four digits of an ID number is
  personal data too, and no mask can recognise four digits.
* **Every written form of an ID number or phone is masked** wherever else it appears, in the forms
  the member search accepts and normalizes: with spaces or hyphens between digit groups
  (``187 0329 7752``, ``350500 20021201 226X``), with the ``+86``/``0086`` prefix, in full-width
  digits (``１８７…``), and URL-encoded (``%20``, ``+`` for a space, ``%2B`` for ``+``, the UTF-8
  escapes of full-width characters); 18-character and old 15-digit ID numbers, mobile and
  landline numbers.
"""

import logging
import re
from urllib.parse import unquote_plus

# --- search parameters in URLs --------------------------------------------------------------

_SENSITIVE_PARAMETER = re.compile(
    r"^(?:q|search|query|keyword|keywords|.*(?:id_?number|id_?card|identity|phone|mobile).*)$",
    re.IGNORECASE,
)
# name=value after "?", "&" or ";" (or at the very start: gunicorn's query-string atom). The value
# ends at the next separator, a space (the request line's protocol), a quote or a fragment.
_PARAMETER = re.compile(r"(?:(?<=[?&;])|^)(?P<name>[^=&;#?\s\"']+)=(?P<value>[^&;#\s\"']*)")


def redact_search_parameters(text, at_start=False):
    """``text`` with the value of every search or personal-data parameter replaced by ``[redacted]``.

    Only ``name=value`` pairs after ``?``, ``&`` or ``;`` are read (and one at the very start when
    ``at_start``: a bare query string), so ordinary prose with an ``=`` is left alone.
    """

    def replace(match):
        if match.start() == 0 and not at_start:
            return match.group(0)
        if not _SENSITIVE_PARAMETER.match(unquote_plus(match.group("name"))) or not match.group("value"):
            return match.group(0)
        return match.group("name") + "=[redacted]"

    return _PARAMETER.sub(replace, text)


# --- ID numbers and phones in any written form ------------------------------------------------

# One digit: ASCII, full-width, or the URL-encoded UTF-8 of a full-width digit (EF BC 90-99). An
# ASCII digit right after "%" or "%x" belongs to a percent escape, not to a number.
_DIGIT = r"(?:(?<!%)(?<!%[0-9A-Fa-f])[0-9]|[\uff10-\uff19]|%EF%BC%9[0-9])"
_CHECK_X = r"(?:[Xx\uff38\uff58]|%EF%BC%B8|%EF%BD%98)"
# Between digit groups: spaces, hyphens and dashes, "+" (a space in a query string), in ASCII,
# full width or URL-encoded.
_SEPARATOR = r"(?:[ \t\-+\u2010-\u2015\u2212\u3000\uff0b\uff0d]|%20|%2[BbDd]|%E3%80%80|%EF%BC%8[BbDd])"
_CANDIDATE = re.compile(
    r"{digit}(?:{sep}{{0,3}}{digit})*(?:{sep}{{0,3}}{x})?".format(digit=_DIGIT, sep=_SEPARATOR, x=_CHECK_X),
    re.IGNORECASE,
)
_GROUP = re.compile(r"{digit}+(?:{x})?".format(digit=_DIGIT, x=_CHECK_X), re.IGNORECASE)

_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]|[0-9]{15}")
# A "+" before 86 is a separator to the candidate, so the prefix is 86 or 0086 here.
_PHONE = re.compile(r"(?:(?:00)?86)?(?:1[3-9][0-9]{9}|0[1-9][0-9]{8,10})")
_ID_MASK, _PHONE_MASK = "[id-number]", "[phone]"


def _plain(group):
    """The ASCII digits (and X) a group of the candidate spells."""
    text = re.sub(r"%EF%BC%9([0-9])", r"\1", group, flags=re.IGNORECASE)
    text = re.sub(r"%EF%BC%B8|%EF%BD%98", "X", text, flags=re.IGNORECASE)
    return text.translate({code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)} | {0xFF38: "X", 0xFF58: "X"}).upper()


def _is_word_character(character):
    return character.isascii() and character.isalnum() or "\uff10" <= character <= "\uff5a"


def _mask_for(digits):
    if _ID_NUMBER.fullmatch(digits):
        return _ID_MASK
    if _PHONE.fullmatch(digits):
        return _PHONE_MASK
    return None


def _mask_candidate(text):
    """The candidate (digit groups and separators) with every run of groups that spells an ID
    number or a phone replaced by its mask; other groups stay as they are."""
    groups = list(_GROUP.finditer(text))
    plain = [_plain(group.group(0)) for group in groups]
    pieces, position, index = [], 0, 0
    while index < len(groups):
        # The longest run of groups starting here that spells something (ID numbers before phones).
        for end in range(min(len(groups), index + 18), index, -1):
            digits = "".join(plain[index:end])
            if "X" in digits[:-1]:
                continue
            mask = _mask_for(digits)
            if mask:
                pieces.append(text[position:groups[index].start()])
                pieces.append(mask)
                position = groups[end - 1].end()
                index = end
                break
        else:
            index += 1
    pieces.append(text[position:])
    return "".join(pieces)


def mask_personal_data(text):
    """The text with every ID number and phone number, in any written form, replaced by a mask."""

    def replace(match):
        start, end = match.span()
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        # Part of a longer word (a hash, an organization path, a token): not a number of a person.
        # A percent escape right before ("%2B", "%20") is a separator, not a letter.
        if (before and _is_word_character(before) and not re.search(r"%[0-9A-Fa-f]{2}$", text[max(0, start - 3):start])) or (
            after and _is_word_character(after)
        ):
            return match.group(0)
        return _mask_candidate(match.group(0))

    return _CANDIDATE.sub(replace, text)


def scrub(text, at_start=False):
    """Search parameters redacted, then ID numbers and phones masked."""
    return mask_personal_data(redact_search_parameters(text, at_start=at_start))


class MaskPersonalDataFilter(logging.Filter):
    """Rewrites each record's message so no handler ever writes an ID number, a phone or a search."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the caller's bug; do not lose the record
            return True
        masked = scrub(message)
        if masked != message:
            record.msg = masked
            record.args = ()
        return True


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # gunicorn is only needed to serve
    _GunicornLogger = None

if _GunicornLogger is not None:

    class GunicornLogger(_GunicornLogger):
        """gunicorn's logger with search parameters redacted and ID numbers and phones masked in
        every access-log field: the request line, the query string, the referer and every header
        atom (an API client searching ``?q=<phone>``, or a page linking with it, leaves no trace)."""

        def atoms(self, resp, req, environ, request_time):
            atoms = super().atoms(resp, req, environ, request_time)
            return {
                key: scrub(value, at_start=(key == "q")) if isinstance(value, str) else value
                for key, value in atoms.items()
            }
