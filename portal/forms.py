"""Shared forms of the core."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from portal import scope
from portal.input_guards import text_problem, validate_date_in_range


class InputGuardFormMixin:
    """Refuses, as field errors, input the portal can neither store nor compute with
    (``portal.input_guards``): a NUL or a lone surrogate in any submitted value, whatever the
    field (a choice or a code input would pass it to a lookup), and a date outside the years the
    domain uses (a date near 9999-12-31 plus a term or a period overflows). Every form of the
    portal inherits it, through ``BootstrapFormMixin`` or directly.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, (forms.DateField, forms.DateTimeField)):
                field.validators.append(validate_date_in_range)

    def _clean_fields(self):
        refused = {}
        for name, bound_field in self._bound_items():
            if not bound_field.field.disabled:
                message = _submitted_value_problem(bound_field.data)
                if message:
                    refused[name] = message
        if not refused:
            return super()._clean_fields()
        # A refused value never reaches its field: its lookup or clean_<name>() would send it to the database.
        all_fields = self.fields
        self.fields = {name: field for name, field in all_fields.items() if name not in refused}
        try:
            super()._clean_fields()
        finally:
            self.fields = all_fields
        for name, message in refused.items():
            self.add_error(name, message)


def _submitted_value_problem(value):
    values = value if isinstance(value, (list, tuple)) else [value]
    for item in values:
        if isinstance(item, str):
            message = text_problem(item)
            if message:
                return message
    return None


class LoginForm(InputGuardFormMixin, AuthenticationForm):
    """The login form, with Bootstrap classes on its inputs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Django only puts the user name's length on the widget; without the check a longer name
        # reaches authenticate(), whose lockout bookkeeping (django-axes) stores it in 255 characters.
        self.fields["username"].validators.append(MaxLengthValidator(self.fields["username"].max_length))
        self.fields["username"].widget.attrs.update({"class": "form-control", "autofocus": True})
        self.fields["password"].widget.attrs.update({"class": "form-control"})
        self.error_messages["invalid_login"] = _("Please enter a correct user name and password.")


class BootstrapFormMixin(InputGuardFormMixin):
    """Gives every widget the Bootstrap class it needs, so forms declare only their fields
    (and, with ``InputGuardFormMixin``, refuses input the portal cannot store)."""

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
