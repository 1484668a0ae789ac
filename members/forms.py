"""Forms of organizations and members."""

from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import Organization
from portal import scope
from portal.forms import ScopedModelForm


class OrganizationForm(ScopedModelForm):
    class Meta:
        model = Organization
        fields = ["code", "name", "kind", "sector", "parent", "term_started_on", "term_years", "is_active"]
        widgets = {"term_started_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True  # the stable external key never changes
            # An organization cannot move under itself or its own subtree.
            parent_field = self.fields["parent"]
            parent_field.queryset = parent_field.queryset.exclude(path__startswith=self.instance.path)
            if self.instance.parent_id:
                # Keeping the current parent is always allowed, even when it lies above the user's scope.
                parent_field.queryset = parent_field.queryset | Organization.objects.filter(pk=self.instance.parent_id)

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        stays_root = self.instance.pk and self.instance.parent_id is None
        if parent is None and not stays_root and not scope.allows(self.user, "add", Organization, None):
            raise forms.ValidationError(_("Only a city administrator may create a top-level organization."))
        return parent
