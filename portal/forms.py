"""Shared forms of the core."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from portal import scope


class LoginForm(AuthenticationForm):
    """The login form, with Bootstrap classes on its inputs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"class": "form-control", "autofocus": True})
        self.fields["password"].widget.attrs.update({"class": "form-control"})
        self.error_messages["invalid_login"] = _("Please enter a correct user name and password.")


class BootstrapFormMixin:
    """Gives every widget the Bootstrap class it needs, so forms declare only their fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.CheckboxInput,)):
                css = "form-check-input"
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                css = "form-select"
            elif isinstance(widget, forms.CheckboxSelectMultiple):
                css = ""
            else:
                css = "form-control"
            if css:
                widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


class ScopedModelForm(BootstrapFormMixin, forms.ModelForm):
    """A model form that only offers what its user may use.

    A choice of organization lists those where the user may add (or move) rows of the form's
    model; a choice of another scoped model lists what the user may see. Because the choices are
    validated against the same restricted queryset inside the view's transaction, a crafted POST
    naming an organization out of scope is rejected like an unknown choice. Past
    ``DROPDOWN_LIMIT`` organizations (a province has 50,000) the dropdown becomes a code input.
    """

    organization_action = "add"
    DROPDOWN_LIMIT = 200

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for name, field in self.fields.items():
            queryset = getattr(field, "queryset", None)
            if queryset is None or not hasattr(queryset.model, "scope_actions"):
                continue
            if queryset.model.scope_organization == "":
                field.queryset = scope.restrict(queryset, user, self.organization_action, for_model=self._meta.model)
                self._use_code_input_when_long(name, field)
            else:
                field.queryset = scope.restrict(queryset, user, "view")

    def _use_code_input_when_long(self, name, field):
        if field.queryset[: self.DROPDOWN_LIMIT + 1].count() <= self.DROPDOWN_LIMIT:
            return
        field.to_field_name = "code"
        field.widget = forms.TextInput(attrs={"class": "form-control", "placeholder": _("Organization code")})
        current = getattr(self.instance, name + "_id", None) if self.instance.pk else None
        if current:
            self.initial[name] = field.queryset.model.objects.filter(pk=current).values_list("code", flat=True).first()
