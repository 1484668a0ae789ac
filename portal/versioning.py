"""The version of a stored record, for optimistic concurrency (API.md "Errors": 412 stale If-Match).

A record's version is a hash of the values of its columns as stored. The API sends it as the
``ETag`` of a detail answer and compares ``If-Match`` with it; the edit pages carry it in a hidden
field. Either way the comparison is made on the row as locked inside the writing transaction, so
of two writers holding the same version exactly one gets through.

Every column counts, not only ``updated_at``: a ``queryset.update()`` (a workflow step, an import)
does not touch ``updated_at``, yet must make an older copy stale. Values are normalized to what
the database gives back (decimals to their places, times to UTC), so the version of an instance
just saved equals the version of the same row read again.
"""

import datetime
import decimal
import hashlib
import json

from django.utils import timezone
from django.utils.http import parse_etags


def _normalized(field, value):
    if value is None:
        return None
    if isinstance(value, decimal.Decimal):
        places = getattr(field, "decimal_places", None)
        if places is not None and value.is_finite():
            value = value.quantize(decimal.Decimal(1).scaleb(-places))
        return str(value)
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(datetime.timezone.utc)
        return value.isoformat()
    if isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
        return str(value)
    if isinstance(value, (memoryview, bytes)):
        return bytes(value).hex()
    return value


def record_version(obj):
    """The strong entity tag (quoted) of the stored state of ``obj``.

    Generated columns are left out: they follow from the others, and a just-saved instance does
    not hold their new value.
    """
    values = [
        [field.attname, _normalized(field, getattr(obj, field.attname))]
        for field in obj._meta.concrete_fields
        if not getattr(field, "generated", False)
    ]
    payload = json.dumps([obj._meta.label_lower, values], sort_keys=True, default=str, ensure_ascii=True)
    return '"{}"'.format(hashlib.sha256(payload.encode()).hexdigest()[:32])


def matches(header, version):
    """Whether an ``If-Match`` / ``If-None-Match`` header names ``version`` (``*``: any version).

    Strong comparison: a weak tag (``W/"..."``) never matches, and a header that is not a list of
    entity tags matches nothing.
    """
    tags = parse_etags(header or "")
    return "*" in tags or version in tags
