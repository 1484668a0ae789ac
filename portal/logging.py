"""Logging filter that keeps personal data (ID numbers, phone numbers) out of every log line."""

import logging
import re

# An 18-character resident ID number (the last may be X) or a mainland mobile/landline number.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<![0-9A-Za-z])(?:1[3-9]\d{9}|0[1-9]\d{1,2}-?\d{7,8})(?![0-9A-Za-z])")


def mask_personal_data(text):
    """The text with every ID number and phone number replaced by a mask."""
    text = _ID_NUMBER.sub("[id-number]", text)
    return _PHONE.sub("[phone]", text)


class MaskPersonalDataFilter(logging.Filter):
    """Rewrites each record's message so no handler ever writes an ID number or a phone."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the caller's bug; do not lose the record
            return True
        masked = mask_personal_data(message)
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
        """gunicorn's logger with ID numbers and phones masked in every access-log field (an API
        client searching ``?q=<phone>``, or a referer carrying it, must not leave it in the log)."""

        def atoms(self, resp, req, environ, request_time):
            atoms = super().atoms(resp, req, environ, request_time)
            return {key: mask_personal_data(value) if isinstance(value, str) else value for key, value in atoms.items()}
