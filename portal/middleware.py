"""Request guards of the shared core."""

from django.http import HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

from portal.input_guards import query_dict_problem, text_problem

FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RejectNullCharactersMiddleware:
    """Answers 400 to a path, query string or posted form carrying a NUL character (or a lone
    surrogate, which a decoded form body cannot hold but the check costs nothing to include).

    PostgreSQL cannot store or compare text with NUL bytes, so such a value would reach a filter,
    a lookup or an INSERT and fail as a server error; many pages read ``request.POST`` by hand
    (grids, workflow buttons), so the guard sits here, before any view. No legitimate client sends
    one. API bodies, JSON or form, are checked by the API's parsers (``portal.api.parsers``), which
    also answer a body too large the API's way.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path:
            return self.refuse(request, text_problem(request.path))
        problem = query_dict_problem(request.GET)
        if problem is not None:
            return self.refuse(request, problem[1])
        if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES and not request.path.startswith("/api/"):
            try:
                problem = query_dict_problem(request.POST)
            except MultiPartParserError as error:
                return self.refuse(request, _("The form data could not be read: {error}").format(error=error))
            if problem is not None:
                return self.refuse(request, problem[1], field=problem[0])
        return self.get_response(request)

    def refuse(self, request, message, field=None):
        if request.path.startswith("/api/"):
            # API.md's 400: the field's message when the bad value is a posted field.
            return JsonResponse({field: [message]} if field else {"detail": message}, status=400)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
