"""Error answers of the REST API: JSON for every status, with the reason in the request's language.

API.md: a 400 is ``{"field": ["message", ...]}`` (DRF's validation errors, unchanged) or
``{"detail": "..."}``; every other error is ``{"detail": "..."}``. DRF answers its own
exceptions that way; ``exception_handler`` adds what Django raises below DRF (a body too large, a
suspicious request), and ``portal.views.errors`` answers what happens outside any API view (an
unknown URL under ``/api/``, a server error, the login lock-out, an overlong URL) the same way.
``portal.api.schema`` documents these answers on every operation.
"""

import logging

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from portal.workflow import WorkflowConflict

# The longest URL (path and query string, as sent) the portal serves. Longer ones answer 414.
# gunicorn's own request-line limit is raised above it (--limit-request-line 8190 in the Procfile
# and the README) so that between the two it is the portal that answers, in JSON under /api/.
MAX_URL_LENGTH = 4096

MESSAGES = {
    400: _("The request is not valid."),
    403: _("You do not have permission to do this."),
    404: _("Not found."),
    413: _("The request body is too large."),
    414: _("The URL is too long: at most {limit} characters, query string included."),
    429: _("Too many failed logins: logging in as this user from this address is blocked for a while."),
    500: _("Server error: it has been logged. Please try again later."),
}


def is_api_request(request):
    """Whether ``request`` is for the REST API, whose every answer is JSON."""
    return request.path.startswith("/api/")


def message_for(status):
    return str(MESSAGES[status]).format(limit=MAX_URL_LENGTH)


def json_error(status, detail=None, **headers):
    """``{"detail": ...}`` with ``status``; ``detail`` defaults to the status's message."""
    response = JsonResponse({"detail": str(detail) if detail is not None else message_for(status)}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def django_error_status(exc):
    """The status of an exception Django raises while reading a request, or None for others."""
    if isinstance(exc, RequestDataTooBig):
        return 413
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return 400
    if isinstance(exc, SuspiciousOperation):
        return 400
    return None


def exception_handler(exc, context):
    """DRF's handler, plus Django's request-reading errors (413, 400) as JSON instead of a page.

    Anything else unhandled stays a server error: DRF re-raises it and ``portal.views.errors``
    answers the JSON 500 after Django has logged it.
    """
    response = drf_exception_handler(exc, context)
    if response is not None:
        return response
    if isinstance(exc, WorkflowConflict):
        # The state of the rows forbids the step (portal.workflow): 409, nothing saved.
        set_rollback()
        return json_error(409, exc.message)
    status = django_error_status(exc)
    if status is None:
        return None
    # Logged as Django logs the suspicious requests it answers itself.
    logging.getLogger("django.security.{}".format(type(exc).__name__)).error(str(exc))
    detail = message_for(status)
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        detail = _("The request has too many fields or files.")
    return json_error(status, detail)
