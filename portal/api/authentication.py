"""API token authentication: hashed, expiring, revocable tokens (django-rest-knox)."""

from knox.auth import TokenAuthentication as KnoxTokenAuthentication


class TokenAuthentication(KnoxTokenAuthentication):
    """``Authorization: Token <key>``; an unauthenticated request answers 401 with this scheme."""
