"""Signal handlers of the shared core."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from portal.scope import forget_scope


@receiver(user_logged_in)
def forget_scope_on_login(sender, request, user, **kwargs):
    """A fresh login must not reuse a scope computed for an earlier request."""
    forget_scope(user)
