"""API token authentication: hashed, expiring, revocable tokens (django-rest-knox)."""

import binascii
from hmac import compare_digest

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS
from rest_framework import exceptions

from portal.scope import grants_subquery


class TokenAuthentication(KnoxTokenAuthentication):
    """``Authorization: Token <key>``; an unauthenticated request answers 401 with this scheme.

    One query finds the token, its user and the user's role assignments (the scope every API
    request needs), where knox would spend three. An expired token is deleted when presented;
    the user's other expired tokens are removed at their next login instead of on every request.
    """

    def authenticate_credentials(self, token):
        message = _("Invalid token.")
        token = token.decode("utf-8")
        candidates = (
            AuthToken.objects.filter(token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH])
            .select_related("user")
            .annotate(portal_grants=grants_subquery("user_id"))
        )
        for auth_token in candidates:
            if auth_token.expiry is not None and auth_token.expiry < timezone.now():
                auth_token.delete()
                continue
            try:
                digest = hash_token(token)
            except (TypeError, binascii.Error):
                raise exceptions.AuthenticationFailed(message) from None
            if compare_digest(digest, auth_token.digest):
                auth_token.user.__dict__["portal_grants"] = auth_token.portal_grants
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(message)


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """The OpenAPI security scheme of ``TokenAuthentication``: the ``Authorization`` header.

    An ``apiKey`` scheme rather than HTTP ``bearer``: the header's prefix is ``Token``, and a
    bearer scheme would make clients (the docs page included) send ``Bearer <key>``, refused here.
    """

    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                'The word "Token", a space, then the key from POST /api/v1/auth/token/: '
                "`Authorization: Token <key>`. Tokens expire and can be revoked (POST /api/v1/auth/logout/)."
            ),
        }
