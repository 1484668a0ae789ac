"""Request body parsers of the API: DRF's, refusing what the portal cannot store (``portal.input_guards``).

Every endpoint reads its body through these (``DEFAULT_PARSER_CLASSES``), serializer or not (the
bulk rating entry reads ``request.data`` directly), so a NUL, a lone surrogate or a document
nested too deeply is a 400 before any view code runs: a field error on the top-level field that
holds it (``non_field_errors`` when the body is a list or the key itself is bad), or
``{"detail": ...}`` for a body that is not a usable document at all.
"""

from django.utils.translation import gettext as _
from rest_framework import parsers, serializers
from rest_framework.exceptions import ParseError

from portal.input_guards import MAX_JSON_DEPTH, NestedTooDeep, query_dict_problem, value_problem


def _refuse(problem):
    key, message = problem
    raise serializers.ValidationError({key if isinstance(key, str) else "non_field_errors": [message]})


def _too_deep():
    return ParseError(_("The JSON body is nested more than {limit} levels deep.").format(limit=MAX_JSON_DEPTH))


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # The decoder recurses once per level: thousands of "[" exhaust the stack before it ends.
            raise _too_deep() from None
        try:
            problem = value_problem(data, max_depth=MAX_JSON_DEPTH)
        except NestedTooDeep:
            raise _too_deep() from None
        if problem:
            _refuse(problem)
        return data


class FormParser(parsers.FormParser):
    """Form bodies of PUT and PATCH (a POST's form body is checked by the request middleware)."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        problem = query_dict_problem(data)
        if problem:
            _refuse(problem)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        problem = query_dict_problem(result.data)
        if problem:
            _refuse(problem)
        return result
