"""What every answer to a signed-in user carries, and how long a sign-in lasts.

* ``NoStoreMiddleware``: member pages, the member API and exports hold personal data (names, ID
  numbers, phones). A response to an authenticated request, page, API or download alike, is
  marked ``Cache-Control: no-store, private`` so that neither the browser's cache (a shared office
  computer, the back button after logging out) nor a proxy keeps a copy. A view that sets its own
  ``Cache-Control`` keeps it. Static files never get here: whitenoise answers them earlier in the
  chain, with its long cache headers.
* ``SessionLifetimeMiddleware``: the session's age is the idle timeout (``SESSION_IDLE_MINUTES``),
  renewed by activity: a request more than ``RENEW_AFTER`` seconds after the last renewal saves
  the session again (a fresh expiry in the database and the cookie). Renewing at most once a
  minute instead of on every request (``SESSION_SAVE_EVERY_REQUEST``) spares a database write per
  page, API call and htmx fragment. On top of it a sign-in ends after ``SESSION_MAX_HOURS``
  however active it is, so a stolen or forgotten session cannot be kept alive indefinitely.

The Content-Security-Policy itself comes from django-csp's middleware (``CONTENT_SECURITY_POLICY``
in the settings).
"""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

NO_STORE = "no-store, private"
# When the current sign-in happened and when the session was last renewed (seconds since the
# epoch), kept in the session.
SIGNED_IN_AT = "portal_signed_in_at"
RENEWED_AT = "portal_renewed_at"
RENEW_AFTER = 60


def _authenticated(request):
    # DRF writes the token's user back onto the Django request, so token calls count too; a token
    # that failed to authenticate still asked for private data.
    if "HTTP_AUTHORIZATION" in request.META:
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class NoStoreMiddleware:
    """``Cache-Control: no-store, private`` on every response to an authenticated request,
    unless the view chose its own ``Cache-Control``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control") and _authenticated(request):
            response["Cache-Control"] = NO_STORE
        return response


@receiver(user_logged_in, dispatch_uid="portal.security_headers.signed_in_at")
def remember_sign_in(sender, request, user, **kwargs):
    """A session sign-in starts the absolute lifetime anew (a token login has no session user)."""
    session = getattr(request, "session", None)
    if session is not None and session.get(SESSION_KEY) is not None:
        session[SIGNED_IN_AT] = session[RENEWED_AT] = int(time.time())


class SessionLifetimeMiddleware:
    """Renews an active session's idle timeout (at most once a minute) and ends a session sign-in
    ``SESSION_MAX_HOURS`` after it began, active or not."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_KEY) is not None:
            now = int(time.time())
            signed_in_at = session.get(SIGNED_IN_AT)
            if signed_in_at is None:
                # A session from before this rule (or a login that bypassed the signal): count from now.
                session[SIGNED_IN_AT] = signed_in_at = now
            if now - signed_in_at > settings.SESSION_MAX_AGE_SECONDS:
                # Flushes the session and makes the user anonymous: the view then asks for a login.
                logout(request)
            elif now - session.get(RENEWED_AT, 0) >= RENEW_AFTER:
                # A changed session is saved with a fresh expiry: the idle timeout starts again.
                session[RENEWED_AT] = now
        return self.get_response(request)
