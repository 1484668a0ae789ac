"""Validators of the identity documents the roster records.

* The resident ID number (居民身份证号码, GB 11643-1999): 17 digits (6 of address code, 8 of birth
  date, 3 of sequence; the sequence is odd for men, even for women) and a check character
  computed with ISO 7064 MOD 11-2 (``X`` stands for 10).
* The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from
  ``0-9A-HJ-NPQRTUW-Y`` whose last is a MOD 31 check character.

Only ASCII digits and letters count: a regex's ``\\d`` and ``str.isdigit()`` also match
full-width (３５０６), Arabic-Indic (٣٥٠٦) and other digits, which would let one person be
registered twice under two spellings of one number. Full-width input (a Chinese input method's
default) is folded to ASCII first by ``ascii_width``; anything else that is not ASCII is refused.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"
_ID_PATTERN = re.compile(r"^[0-9]{17}[0-9X]$")

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_CREDIT_PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUW-Y]{18}$")


def id_number_check_character(first17):
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


# The full-width forms block (U+FF01-U+FF5E) is ASCII 0x21-0x7E shifted; U+3000 is the
# ideographic space. Nothing else is folded: an Arabic-Indic or other digit stays what it is and
# fails the ASCII-only patterns.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULL_WIDTH[0x3000] = 0x20


def ascii_width(value):
    """``value`` with full-width ASCII characters (``３５０６``, ``Ｘ``, ``－``) folded to ASCII."""
    if value and value.isascii():
        return value  # nothing to fold (the import calls this for every cell of 100,000-row files)
    return (value or "").translate(_FULL_WIDTH)


def is_ascii_digits(value):
    """Whether ``value`` is one or more ASCII digits (``str.isdigit`` also accepts ``٣`` or ``²``)."""
    return bool(value) and value.isascii() and value.isdigit()


def normalize_id_number(value):
    return ascii_width(value).strip().upper()


def id_number_birth_date(value):
    """The birth date written in an ID number, or None when it is not a real date."""
    try:
        return datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def id_number_gender(value):
    """``male`` or ``female`` by the parity of the sequence code (17th digit)."""
    return "male" if int(value[16]) % 2 else "female"


def validate_id_number(value):
    """An 18-character resident ID number with a real birth date and the right check character."""
    value = normalize_id_number(value)
    if not _ID_PATTERN.match(value):
        raise ValidationError(
            _("An ID number has 18 characters: 17 digits and a digit or X."), code="id_number_format"
        )
    birth = id_number_birth_date(value)
    if birth is None or birth > datetime.date.today() or birth.year < 1900:
        raise ValidationError(_("The birth date inside this ID number is not a real date."), code="id_number_birth")
    if id_number_check_character(value[:17]) != value[17]:
        raise ValidationError(
            _("The check character of this ID number is wrong; please check the number."), code="id_number_check"
        )


def credit_code_check_character(first17):
    """The GB 32100 check character for the first 17 characters."""
    total = sum(CREDIT_CODE_ALPHABET.index(char) * weight for char, weight in zip(first17, _CREDIT_WEIGHTS))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def normalize_credit_code(value):
    return ascii_width(value).strip().upper()


def normalize_phone(value):
    """The phone as typed, full-width digits and signs folded to ASCII; None when blank."""
    return ascii_width(value).strip() or None


def validate_credit_code(value):
    """An 18-character unified social credit code with the right check character."""
    value = normalize_credit_code(value)
    if not _CREDIT_PATTERN.match(value):
        raise ValidationError(
            _("A unified social credit code has 18 characters from digits and capital letters (not I, O, Z, S, V)."),
            code="credit_code_format",
        )
    if credit_code_check_character(value[:17]) != value[17]:
        raise ValidationError(
            _("The check character of this unified social credit code is wrong."), code="credit_code_check"
        )


def mask_id_number(value):
    """``350***********1234``: the region's first three and the last four characters."""
    if not value:
        return value
    return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) > 7 else "*" * len(value)


def mask_phone(value):
    """``138****5678``: the first three and last four digits."""
    if not value:
        return value
    return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) > 7 else "*" * len(value)
