"""Where a form sends the user afterwards: the ``next`` it carries, when that stays on this portal.

Every view that honours a ``next`` field or parameter goes through ``safe_next``: a ``next`` is
user input, and without the check a crafted link or form (``next=//evil.example/``) turns the
portal into a redirector to any site, with the portal's name on the link.
"""

from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, default, field="next"):
    """The ``next`` of the request (POST first, then the query string) if it points at this
    portal, otherwise ``default``.

    Allowed: a path on this host (``/appraisal/1/``), or an absolute URL of the request's own
    host with the request's scheme (no downgrade from HTTPS). Refused, so ``default`` is used:
    other hosts, scheme-relative ``//host`` and its backslash spellings (``/\\host``, which
    browsers read as ``//host``), ``javascript:`` and other schemes, control characters.
    """
    target = request.POST.get(field) or request.GET.get(field) or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def redirect_to_next(request, default, field="next"):
    """A redirect to ``safe_next(request, default)``."""
    return HttpResponseRedirect(safe_next(request, default, field))


class SafeNextMixin:
    """For Django's auth views (login, logout): their ``next`` goes through ``safe_next`` too, so
    one rule decides for the whole portal."""

    def get_redirect_url(self):
        return safe_next(self.request, "", self.redirect_field_name)
