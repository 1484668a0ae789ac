"""Links that never lead a user to a page their role cannot open (issue 13's dead ends).

``{{ organization|opens_for:request.user }}`` is True when the user may open that object's page
(``scope.allows(user, "view", ...)``, no query); ``{{ url|opens_for:request.user }}`` when the
user's role opens the page ``url`` names (the view's ``may_open``). ``{% link_or_text obj %}``
renders the object's link, or its name as plain text outside the user's scope (ancestors in a
breadcrumb, a parent organization).
"""

from urllib.parse import urlsplit

from django import template
from django.urls import Resolver404, resolve
from django.utils.html import format_html

from portal import scope

register = template.Library()


def url_opens(user, url):
    """Whether ``user``'s role lets them open the page at ``url`` (a path of this site).

    A view says so through its ``may_open(user)`` class method (every generic page has one); a
    view without it is assumed open to any signed-in user, as its own checks decide.
    """
    try:
        match = resolve(urlsplit(str(url)).path)
    except Resolver404:
        return False
    view_class = getattr(match.func, "view_class", None)
    may_open = getattr(view_class, "may_open", None)
    return True if may_open is None else bool(may_open(user))


def object_opens(user, obj):
    """Whether ``user`` may open the page of ``obj`` (a scoped record): inside their view scope."""
    organization = obj.get_scope_organization() if hasattr(obj, "get_scope_organization") else None
    return scope.allows(user, "view", type(obj), organization)


@register.filter
def opens_for(target, user):
    """``{% if url|opens_for:request.user %}`` / ``{% if obj|opens_for:request.user %}``."""
    if not target:
        return False
    if isinstance(target, str):
        return url_opens(user, target)
    return object_opens(user, target)


@register.simple_tag(takes_context=True)
def link_or_text(context, obj, label=None):
    """The object's name linked to its page, or as plain text when the user cannot open it."""
    request = context.get("request")
    label = obj.name if label is None and hasattr(obj, "name") else (label if label is not None else str(obj))
    if request is not None and object_opens(request.user, obj):
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), label)
    return format_html('<span class="text-body-secondary">{}</span>', label)
