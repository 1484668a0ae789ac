"""Error answers outside any view: Django's error handlers and the login lock-out.

Under ``/api/`` each is JSON (``portal.api.errors``), whatever went wrong; elsewhere a page. The
pages must render when everything else is broken: ``500.html`` uses no static file, no database
and no context; the others extend ``base.html``, whose static files never fail (see
``portal.staticfiles``).
"""

from axes.conf import settings as axes_settings
from axes.helpers import get_client_username, get_cool_off, get_cool_off_iso8601, get_failure_limit
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views import defaults

from portal.api.errors import django_error_status, is_api_request, json_error


def bad_request(request, exception):
    """400, or 413 for a body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE``."""
    status = django_error_status(exception) or 400
    if is_api_request(request):
        return json_error(status)
    response = defaults.bad_request(request, exception)
    response.status_code = status
    return response


def permission_denied(request, exception):
    if is_api_request(request):
        return json_error(403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if is_api_request(request):
        return json_error(404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api_request(request):
        return json_error(500)
    # No RequestContext: a context processor may be what failed.
    return HttpResponseServerError(loader.get_template("500.html").render())


def lockout(request, original_response=None, credentials=None):
    """The answer to a login attempt while locked out (``AXES_LOCKOUT_CALLABLE``): 429.

    JSON under ``/api/`` (the token login), with ``Retry-After``; the lock-out page elsewhere,
    with the context django-axes gives its template.
    """
    status = axes_settings.AXES_HTTP_RESPONSE_CODE
    cool_off = get_cool_off(request)
    if is_api_request(request):
        headers = {"Retry_After": str(int(cool_off.total_seconds()))} if cool_off else {}
        return json_error(status, **headers)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "username": get_client_username(request, credentials) or "",
    }
    if cool_off:
        context.update({"cooloff_time": get_cool_off_iso8601(cool_off), "cooloff_timedelta": cool_off})
    return render(request, axes_settings.AXES_LOCKOUT_TEMPLATE, context, status=status)
