"""OpenAPI generation: every operation documents the errors it can answer with (API.md).

Every error under ``/api/`` is JSON (``portal.api.errors``): ``{"field": ["message", ...]}`` for
invalid input, ``{"detail": "..."}`` for everything else. The answers any operation can give are
described once, as response components (``#/components/responses/NotFound`` ...), and referenced
from each operation, so the document stays readable and a client (or schemathesis) finds every
status it can meet.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent

from portal.api.errors import MAX_URL_LENGTH
from portal.api.serializers import ErrorSerializer

_VALIDATION_ERROR = {
    "type": "object",
    "additionalProperties": {},
    "description": 'Invalid input: {"field": ["message", ...]} (or {"detail": "..."} for a body that is not JSON).',
}

_BODY_METHODS = {"POST", "PUT", "PATCH"}


class ErrorAnswer:
    """One error status every operation (or every operation with a request body) can answer."""

    def __init__(self, status, name, description, *, body_only=False, schema=None):
        self.status = status
        self.name = name
        self.description = description
        self.body_only = body_only
        self.schema = schema  # None: the {"detail": "..."} body

    def applies_to(self, method):
        return not self.body_only or method in _BODY_METHODS


ERROR_ANSWERS = [
    ErrorAnswer("400", "ValidationError", "Invalid input: a field, a filter or the body.", schema=_VALIDATION_ERROR),
    ErrorAnswer("401", "NotAuthenticated", "Not authenticated: no token, or an invalid or expired one."),
    ErrorAnswer("403", "PermissionDenied", "Authenticated but not allowed to do this."),
    ErrorAnswer("404", "NotFound", "Unknown, or outside the caller's scope."),
    ErrorAnswer("405", "MethodNotAllowed", "This method is not allowed here."),
    ErrorAnswer("406", "NotAcceptable", "The Accept header asks for a format the API does not give (it gives JSON)."),
    ErrorAnswer("413", "PayloadTooLarge", "The request body is too large.", body_only=True),
    ErrorAnswer(
        "414",
        "URITooLong",
        "The URL with its query string is longer than {} characters.".format(MAX_URL_LENGTH),
    ),
    ErrorAnswer("415", "UnsupportedMediaType", "The body's Content-Type is not accepted.", body_only=True),
    ErrorAnswer("500", "ServerError", "The server failed; the error is logged."),
]


class AutoSchema(SpectacularAutoSchema):
    """Adds the error answers every operation of the portal can give.

    400 (bad input or a bad filter value), 401 (no or expired credentials), 403 (no role for
    this), 404 (unknown or out of scope; also a ``within`` code out of scope on lists), 405, 406,
    414 (the URL limit of ``portal.api.errors``) and 500 can come from any operation, 413 and 415
    from any operation with a body, so each one documents them unless it declares its own. An
    error an operation declares without a body (``OpenApiResponse(description=...)``) gets the
    JSON body it really has. Operations open to anonymous callers say so with an empty
    ``security``.
    """

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is not None and "security" not in operation:
            operation["security"] = []  # open to anyone (the token login): said, not left out
        return operation

    def _error_schema(self, answer):
        if answer.schema is not None:
            return answer.schema
        return self.resolve_serializer(ErrorSerializer, "response").ref

    def _error_component(self, answer):
        component = ResolvedComponent(
            name=answer.name,
            type=ResolvedComponent.RESPONSE,
            object=answer.name,
            schema={
                "description": answer.description,
                "content": {"application/json": {"schema": self._error_schema(answer)}},
            },
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        answers = {answer.status: answer for answer in ERROR_ANSWERS}
        for code, response in responses.items():
            # A declared error without a body: the body every error under /api/ has.
            if code >= "400" and "content" not in response and "$ref" not in response:
                answer = answers.get(code)
                schema = self._error_schema(answer) if answer else self.resolve_serializer(ErrorSerializer, "response").ref
                response["content"] = {"application/json": {"schema": schema}}
        for answer in ERROR_ANSWERS:
            if answer.status not in responses and answer.applies_to(self.method):
                responses[answer.status] = self._error_component(answer)
        return responses

