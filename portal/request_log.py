"""Structured request logs: one JSON line per request, and one more for every refused access.

``portal.request`` (INFO) gets, for every request that reaches Django::

    {"time": "2026-01-05T08:12:30.120Z", "user_id": 7, "user": "zz_organs", "method": "PATCH",
     "route": "api/v1/members/<pk>/", "status": 200, "ms": 41.3}

``portal.access`` (WARNING) gets the same fields for every 401, 403 and 404 answered: not
signed in, not allowed, and unknown or outside the caller's scope (which the caller is told is
unknown; the log says which route it was refused on).

``route`` is the URL pattern the request resolved to, never the path itself, and the query string
is never logged: paths carry record ids and searches can carry phones or ID numbers. A path that
resolved to nothing is logged as ``"<unresolved>"``. As a last guard every line goes through
``portal.logging.mask_personal_data``.
"""

import datetime
import json
import logging
import re
import time

from django.contrib.auth import SESSION_KEY
from django.utils.functional import SimpleLazyObject, empty

from portal.logging import mask_personal_data

request_logger = logging.getLogger("portal.request")
access_logger = logging.getLogger("portal.access")

REFUSED = {401, 403, 404}
UNRESOLVED = "<unresolved>"
_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>[^()]*\)")


def route_template(route):
    """A URL pattern as people read it: the API router's ``^members/(?P<pk>[0-9]+)/$`` becomes
    ``members/<pk>/``, like the ``members/<int:pk>/`` of a page."""
    return _NAMED_GROUP.sub(r"<\1>", route).replace("^", "").replace("$", "").replace("\\", "")


def _user_fields(request):
    """The caller's id and user name, without a query of its own.

    A lazy session user that no view looked at is named by its session's user id only (loading
    it would cost a query on pages such as the login page).
    """
    user = getattr(request, "user", None)
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        session = getattr(request, "session", None)
        raw = session.get(SESSION_KEY) if session is not None else None
        return (int(raw) if isinstance(raw, str) and raw.isascii() and raw.isdigit() else raw), None
    if user is None or not user.is_authenticated:
        return None, None
    return user.pk, user.get_username()


def log_line(request, status, duration_ms):
    """The JSON line of one answered request."""
    match = getattr(request, "resolver_match", None)
    user_id, username = _user_fields(request)
    fields = {
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "user_id": user_id,
        "user": username,
        "method": request.method,
        "route": route_template(match.route) if match is not None and match.route else UNRESOLVED,
        "status": status,
        "ms": round(duration_ms, 1),
    }
    return mask_personal_data(json.dumps(fields, ensure_ascii=False))


class RequestLogMiddleware:
    """Writes the request line (and the refused-access line) of every request after it is answered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        if request_logger.isEnabledFor(logging.INFO) or (
            response.status_code in REFUSED and access_logger.isEnabledFor(logging.WARNING)
        ):
            line = log_line(request, response.status_code, (time.perf_counter() - started) * 1000)
            request_logger.info(line)
            if response.status_code in REFUSED:
                access_logger.warning(line)
        return response
