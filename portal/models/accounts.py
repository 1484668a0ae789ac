"""The signed-in sessions of each user, so that a security change can end them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserSession(models.Model):
    """One browser session a user is signed in with (its key in Django's session store).

    Django finds a session by its key, never by its user; this registry is how a password change
    or a removed role ends every other session of that user without reading the whole store
    (``portal.accounts.end_other_sessions``). Rows are written by ``SessionRegistryMiddleware``.
    """

    session_key = models.CharField(_("session key"), max_length=40, primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_sessions", verbose_name=_("user")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("signed-in session")
        verbose_name_plural = _("signed-in sessions")

    def __str__(self):
        return "{} ({:%Y-%m-%d %H:%M})".format(self.user, self.created_at)
