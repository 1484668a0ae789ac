"""Authentication backend of the pages: loads the user with their role assignments."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from portal.scope import grants_subquery


class ScopedModelBackend(ModelBackend):
    """Django's model backend, except that a session's user arrives with their role assignments
    in the same query, so scope costs no query of its own on every page."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        # PostgreSQL cannot compare text holding NUL: such a name matches no user (the forms and
        # parsers refuse it first; this covers any other caller of authenticate()).
        if isinstance(username, str) and "\x00" in username:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        user_model = get_user_model()
        try:
            user = user_model._default_manager.annotate(portal_grants=grants_subquery()).get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
