"""The user name django-axes counts failed logins under (``AXES_USERNAME_CALLABLE``)."""

from axes.models import AccessAttempt
from django.conf import settings

from portal.input_guards import text_problem


def lockout_username(request, credentials=None):
    """The attempted user name as axes records it: what the login form or the token endpoint
    received, made storable.

    The login form and the token serializer refuse over-long names before they authenticate, but
    any other caller of ``authenticate()`` reaches axes' bookkeeping directly, and its columns
    hold 255 characters and no NUL: a longer or unstorable name would turn a failed login into a
    server error. No account has such a name, so cutting it changes no lock-out.
    """
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        username = credentials.get(field)
    else:
        username = getattr(request, "data", request.POST).get(field)
    if not isinstance(username, str):
        return username
    if text_problem(username):
        username = username.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
    return username[: AccessAttempt._meta.get_field("username").max_length]
