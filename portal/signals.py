"""Signal handlers of the shared core."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver


@receiver(user_logged_in)
def forget_scope_on_login(sender, request, user, **kwargs):
    """A fresh login must not reuse a scope computed for an earlier request."""
    user.__dict__.pop("_portal_scope", None)
