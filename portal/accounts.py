"""Account security: a password change or a removed role ends the user's other sessions and tokens.

Django already refuses a session whose user's password changed (the session keeps a hash of the
password hash), but a role taken away leaves the password alone, and API tokens know nothing
about passwords. So both events end, explicitly, every API token of the user and every browser
session of theirs except the one making the change (an administrator changing their own password
stays signed in, as Django's ``update_session_auth_hash`` intends).

Sessions are found through ``UserSession``, a registry of signed-in session keys (Django's
session store cannot be searched by user): a login registers its session (``portal.signals``),
and ``SessionRegistryMiddleware`` follows a session whose key changed while signed in
(``update_session_auth_hash``) or that predates the registry. The handlers that call
``end_other_sessions`` are in ``portal.signals``.
"""

import contextvars
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model

# The session of the request being handled, so that a change made through it does not end it.
_current_session = contextvars.ContextVar("portal_current_session", default=None)

# Session entry: the session key this session was last registered under (the key changes on login
# and on update_session_auth_hash, the data travels with it).
REGISTERED_AS = "_portal_registered_as"


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def end_other_sessions(user_id):
    """End every API token and every registered session of the user but the current request's."""
    from knox.models import AuthToken

    from portal.models import UserSession

    current = _current_session.get()
    keep = current.session_key if current is not None else None
    keys = list(
        UserSession.objects.filter(user_id=user_id).exclude(session_key=keep or "").values_list("session_key", flat=True)
    )
    store = _session_store()
    for key in keys:
        store().delete(key)
    UserSession.objects.filter(session_key__in=keys).delete()
    AuthToken.objects.filter(user_id=user_id).delete()


def forget_session(session):
    """Drop a session from the registry (it is being logged out)."""
    from portal.models import UserSession

    if session is not None and session.session_key:
        UserSession.objects.filter(session_key=session.session_key).delete()


def register_session(session):
    """Record the signed-in ``session`` under its current key (once per key: no query otherwise)."""
    from portal.models import UserSession

    raw_user_id = session.get(SESSION_KEY)
    if raw_user_id is None:
        return
    if session.session_key is None:
        # A session flushed and signed in again in this request has no key until it is saved.
        session.save()
    key = session.session_key
    previous = session.get(REGISTERED_AS)
    if previous == key:
        return
    user_id = get_user_model()._meta.pk.to_python(raw_user_id)
    UserSession.objects.update_or_create(session_key=key, defaults={"user_id": user_id})
    if previous:
        UserSession.objects.filter(session_key=previous).delete()
    # Sessions that expired or were cleared since: a login is a good moment to forget them.
    store = _session_store()
    stale = [
        other
        for other in UserSession.objects.filter(user_id=user_id).exclude(session_key=key).values_list("session_key", flat=True)
        if not store().exists(other)
    ]
    if stale:
        UserSession.objects.filter(session_key__in=stale).delete()
    session[REGISTERED_AS] = key


class SessionRegistryMiddleware:
    """Makes the request's session known to ``end_other_sessions`` while the request runs, and
    registers a signed-in session whose key is not registered yet.

    Goes after ``AuthenticationMiddleware``. Costs no query of its own once a session is
    registered (the session records the key it was registered under).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        token = _current_session.set(session)
        try:
            response = self.get_response(request)
        finally:
            _current_session.reset(token)
        # request.session may have been replaced (flushed) by the view: take the one it ends with.
        session = getattr(request, "session", None)
        if session is not None:
            register_session(session)
        return response
