"""Small template helpers of the portal's look: Bootstrap classes on form widgets, the active menu item."""

from django import template

register = template.Library()


@register.filter
def with_class(bound_field, css):
    """Renders a form field's widget with extra CSS classes (plus ``is-invalid`` when it has errors).

    ``{{ field|with_class:"form-select form-select-sm" }}``
    """
    classes = bound_field.field.widget.attrs.get("class", "").split()
    classes += [name for name in css.split() if name not in classes]
    if bound_field.errors and "is-invalid" not in classes:
        classes.append("is-invalid")
    return bound_field.as_widget(attrs={"class": " ".join(classes)})


@register.simple_tag(takes_context=True)
def active_menu_url(context, menu):
    """The URL of the menu item the current page belongs to: the longest one its path starts with."""
    request = context.get("request")
    path = getattr(request, "path", "")
    urls = [item.url for item in menu if path.startswith(item.url)]
    return max(urls, key=len) if urls else ""
