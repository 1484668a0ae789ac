"""OpenAPI generation: every operation documents the errors it can answer with (API.md)."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse

from portal.api.serializers import ErrorSerializer

_VALIDATION_ERROR = {
    "type": "object",
    "additionalProperties": {},
    "description": 'Invalid input: {"field": ["message", ...]} (or {"detail": "..."} for a body that is not JSON).',
}
_ERRORS = {
    "400": OpenApiResponse(_VALIDATION_ERROR, description="Invalid input."),
    "401": OpenApiResponse(ErrorSerializer, description="Not authenticated."),
    "403": OpenApiResponse(ErrorSerializer, description="Authenticated but not allowed to do this."),
    "404": OpenApiResponse(ErrorSerializer, description="Unknown, or outside the caller's scope."),
}


class AutoSchema(SpectacularAutoSchema):
    """Adds the 400/401/403/404 answers every operation of the portal can give.

    400 (bad input or a bad filter value), 401 (no or expired credentials), 403 (no role for
    this) and 404 (unknown or out of scope; also a ``within`` code out of scope on lists) can
    come from any operation, so each one documents all four unless it declares its own.
    Operations that are open to anonymous callers (token login, schema) declare theirs.
    """

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, response in _ERRORS.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses
