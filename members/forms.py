"""Forms of organizations and members."""

from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import Organization
from portal import scope
from portal.forms import ScopedModelForm

# Members and transfer letters.
from django.core.exceptions import NON_FIELD_ERRORS  # noqa: E402

from django.utils import timezone  # noqa: E402

from members.choices import ExitReasonChoices, MemberCategoryChoices  # noqa: E402
from members.models import Member, TransferLetter  # noqa: E402
from members.models.members import ID_NUMBER_TAKEN, MEMBER_EDITABLE_FIELDS  # noqa: E402
from members.models.refusals import (  # noqa: E402
    RegistrationLimitReached,
    check_registration_allowed,
    clash_in_scope,
    clash_message,
)
from members.validators import normalize_id_number  # noqa: E402
from members.models.transfers import default_valid_until  # noqa: E402
from portal.forms import BootstrapFormMixin  # noqa: E402


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
                parent_field.queryset = parent_field.queryset | Organization.objects.unrestricted(
                    "the current parent stays a valid choice"
                ).filter(pk=self.instance.parent_id)

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        stays_root = self.instance.pk and self.instance.parent_id is None
        if parent is None and not stays_root and not scope.allows(self.user, "add", Organization, None):
            raise forms.ValidationError(_("Only a city administrator may create a top-level organization."))
        return parent


class MemberForm(ScopedModelForm):
    """Create or edit a member; the rules are the model's ``clean()`` (shared with the API and
    the import), reported on the field they concern."""

    categories = forms.TypedMultipleChoiceField(
        choices=MemberCategoryChoices.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Categories"),
    )

    class Meta:
        model = Member
        fields = MEMBER_EDITABLE_FIELDS
        widgets = {
            name: forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            for name in ("birth_date", "joined_on", "full_member_on")
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Personal data never travels in a URL: the browser must not offer to put it in history.
        for name in ("id_number", "phone"):
            self.fields[name].widget.attrs["autocomplete"] = "off"
        # Filled while validating, read by the view: ID numbers refused because a current member
        # outside the user's scope holds them (recorded once the transaction is over), and the
        # RegistrationLimitReached when the user may register no one for now.
        self.refused_id_numbers = []
        self.limit_reached = None

    def clean_id_number(self):
        value = normalize_id_number(self.cleaned_data.get("id_number"))
        if value and (self.instance.pk is None or value != self.instance.id_number):
            # Every new number asked about is a question about the roster: closed to a user refused
            # too often lately.
            try:
                check_registration_allowed(self.user)
            except RegistrationLimitReached as limit:
                self.limit_reached = limit
                raise forms.ValidationError(limit.message, code="rate_limited") from None
        return value

    def _post_clean(self):
        if self.limit_reached is not None:
            return  # the model's rules (and their uniqueness question) are not asked for this user
        super()._post_clean()
        errors = self._errors.get("id_number") if self._errors else None
        if not errors or not any(error.code == ID_NUMBER_TAKEN for error in errors.as_data()):
            return
        other = clash_in_scope(self.user, self.instance.id_number, self.instance.pk)
        if other is not None:
            self._errors["id_number"] = self.error_class(
                [
                    forms.ValidationError(clash_message(other), code=ID_NUMBER_TAKEN)
                    if error.code == ID_NUMBER_TAKEN
                    else error
                    for error in errors.as_data()
                ]
            )
        else:
            self.refused_id_numbers.append((self.instance.id_number, self.instance.organization_id))


class MemberExitForm(BootstrapFormMixin, forms.Form):
    """Takes a member off the roster for a recorded reason."""

    reason = forms.ChoiceField(choices=ExitReasonChoices.choices, label=_("Reason"))
    left_on = forms.DateField(
        label=_("Left on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, member=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member

    def clean_left_on(self):
        value = self.cleaned_data["left_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date of leaving cannot be in the future."))
        if self.member is not None and value < self.member.joined_on:
            raise forms.ValidationError(_("A member cannot leave before joining."))
        return value


class TransferLetterForm(BootstrapFormMixin, forms.ModelForm):
    """Issue a transfer letter for one member (the member is given by the page)."""

    to_organization = forms.CharField(
        label=_("To organization (code)"),
        required=False,
        help_text=_("The code of the receiving organization in the system; leave empty for a destination outside it."),
    )

    class Meta:
        model = TransferLetter
        fields = ["letter_number", "to_organization", "external_destination", "reason", "issued_on", "valid_until"]
        widgets = {
            name: forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d") for name in ("issued_on", "valid_until")
        }

    def __init__(self, *args, member=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.instance.member = member
        self.instance.from_organization = member.organization
        self.instance.issued_by = user
        self.fields["letter_number"].required = False
        self.fields["valid_until"].required = False
        self.fields["issued_on"].initial = timezone.localdate()

    def clean_to_organization(self):
        # Letters cross scopes: the receiving organization is usually outside the issuer's subtree,
        # so any active organization may be named by its code.
        code = (self.cleaned_data.get("to_organization") or "").strip()
        if not code:
            return None
        organization = Organization.objects.filter(code=code, is_active=True).first()
        if organization is None:
            raise forms.ValidationError(_("No active organization has this code."))
        return organization

    def _update_errors(self, errors):
        # The member is given by the page, not a field: its errors belong to the whole form.
        if hasattr(errors, "error_dict") and "member" in errors.error_dict:
            error_dict = dict(errors.error_dict)
            error_dict.setdefault(NON_FIELD_ERRORS, []).extend(error_dict.pop("member"))
            errors = forms.ValidationError(error_dict)
        super()._update_errors(errors)

    def clean_letter_number(self):
        value = (self.cleaned_data.get("letter_number") or "").strip()
        if value and TransferLetter.objects.filter(letter_number=value).exists():
            raise forms.ValidationError(_("A letter with this number already exists."))
        return value

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("valid_until") and cleaned.get("issued_on"):
            # None past 9999-12-31: the model's clean() then says what is wrong with the issue date.
            cleaned["valid_until"] = default_valid_until(cleaned["issued_on"])
            self.instance.valid_until = cleaned["valid_until"]
        return cleaned


class TransferDecisionForm(BootstrapFormMixin, forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=500)
