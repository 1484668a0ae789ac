"""Limits on a request, answered by the portal itself rather than by gunicorn.

gunicorn answers a request line longer than its ``--limit-request-line`` with a bare error page
of its own, which an API client cannot read and the OpenAPI document cannot describe. The
portal's limit (``portal.api.errors.MAX_URL_LENGTH``) is below gunicorn's (raised to 8190 in the
Procfile and the README's command), so an overlong URL meets this middleware first: JSON under
``/api/``, a plain message elsewhere, both in the request's language.
"""

from django.http import HttpResponse
from django.utils import translation

from portal.api.errors import MAX_URL_LENGTH, is_api_request, json_error, message_for


class UrlLengthLimitMiddleware:
    """Answers 414 to a URL (path and query string) over ``MAX_URL_LENGTH`` characters.

    Placed before anything reads the query string, so such a request costs no parsing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = len(request.META.get("PATH_INFO", "")) + len(request.META.get("QUERY_STRING", ""))
        if length <= MAX_URL_LENGTH:
            return self.get_response(request)
        # LocaleMiddleware has not run yet: pick the request's language the way it would.
        with translation.override(translation.get_language_from_request(request)):
            if is_api_request(request):
                return json_error(414)
            return HttpResponse(message_for(414), status=414, content_type="text/plain; charset=utf-8")
