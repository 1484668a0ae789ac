"""Small template helpers of the portal's look: Bootstrap classes on form widgets, the active menu item."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext

register = template.Library()

# Django's placeholder of an empty choice (BLANK_CHOICE_DASH, ModelChoiceField.empty_label).
_BLANK_OPTION = ">---------</option>"


@register.filter
def with_class(bound_field, css):
    """Renders a form field's widget with extra CSS classes (plus ``is-invalid`` when it has errors).

    A dropdown's empty choice reads "Choose…" rather than Django's "---------".

    ``{{ field|with_class:"form-select form-select-sm" }}``
    """
    classes = bound_field.field.widget.attrs.get("class", "").split()
    classes += [name for name in css.split() if name not in classes]
    if bound_field.errors and "is-invalid" not in classes:
        classes.append("is-invalid")
    html = bound_field.as_widget(attrs={"class": " ".join(classes)})
    if _BLANK_OPTION in html:
        # A dropdown's empty choice says what to do, in the user's language, instead of "---------".
        html = mark_safe(html.replace(_BLANK_OPTION, ">" + escape(gettext("Choose…")) + "</option>", 1))
    return html


@register.simple_tag(takes_context=True)
def active_menu_url(context, menu):
    """The URL of the menu item the current page belongs to: the longest one its path starts with."""
    request = context.get("request")
    path = getattr(request, "path", "")
    urls = [item.url for item in menu if path.startswith(item.url)]
    return max(urls, key=len) if urls else ""


def _model_field(obj, name):
    try:
        return obj._meta.get_field(name)
    except Exception:  # not a field of this model (renamed since, or a pghistory column)
        return None


@register.simple_tag
def field_label(obj, name):
    """The translated label of ``obj``'s field ``name`` (history diffs store raw field names)."""
    field = _model_field(obj, name)
    label = getattr(field, "verbose_name", None)
    return capfirst(label) if label else name


@register.simple_tag
def field_value(obj, name, value):
    """A recorded value of ``obj``'s field ``name`` as people read it: choice labels, yes/no, — for empty."""
    if value is None or value == "":
        return "—"
    field = _model_field(obj, name)
    if field is not None and getattr(field, "flatchoices", None):
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    return value
