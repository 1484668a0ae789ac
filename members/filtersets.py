"""FilterSets of organizations and members (one per model, shared by pages and API)."""

import django_filters
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from members.census import NEEDS_CHOICES, member_needs_condition
from members.choices import (
    ActivityStatusChoices,
    MemberCategoryChoices,
    MemberStatusChoices,
    OrganizationKindChoices,
    SectorChoices,
    TransferStatusChoices,
)
from members.models import Member, Organization, TransferLetter
from members.validators import ascii_width, is_ascii_digits, normalize_credit_code, validate_credit_code
from portal import scope
from portal.filtersets import BaseFilterSet


class OrganizationFilterSet(BaseFilterSet):
    search_fields = ("name__icontains", "code__icontains")

    kind = django_filters.MultipleChoiceFilter(choices=OrganizationKindChoices.choices, label=_("Kind"))
    sector = django_filters.MultipleChoiceFilter(choices=SectorChoices.choices, label=_("Sector"))
    parent = django_filters.CharFilter(field_name="parent__code", label=_("Parent (code)"))
    term_overdue = django_filters.BooleanFilter(method="filter_term_overdue", label=_("Term overdue"))
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Organization
        fields = ["q", "within", "kind", "sector", "parent", "term_overdue", "is_active"]

    def filter_term_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = queryset.term_overdue(timezone.localdate())
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))


class MemberFilterSet(BaseFilterSet):
    """Filters of the roster. Without ``include_left`` only current members are listed."""

    status = django_filters.MultipleChoiceFilter(choices=MemberStatusChoices.choices, label=_("Status"))
    category = django_filters.MultipleChoiceFilter(
        choices=MemberCategoryChoices.choices, method="filter_category", label=_("Category")
    )
    activity_status = django_filters.MultipleChoiceFilter(
        choices=ActivityStatusChoices.choices, label=_("Activity status")
    )
    organization = django_filters.CharFilter(field_name="organization__code", label=_("Organization (code)"))
    enterprise = django_filters.CharFilter(
        method="filter_enterprise", validators=[validate_credit_code], label=_("Workplace credit code")
    )
    is_pocket = django_filters.BooleanFilter(label=_("Pocket member"))
    in_transit = django_filters.BooleanFilter(method="filter_in_transit", label=_("In transit"))
    include_left = django_filters.BooleanFilter(method="filter_include_left", label=_("Include members who left"))
    # The data-quality filters the census page links to.
    needs = django_filters.ChoiceFilter(choices=NEEDS_CHOICES, method="filter_needs", label=_("Needs attention"))

    class Meta:
        model = Member
        fields = [
            "q",
            "within",
            "status",
            "category",
            "activity_status",
            "organization",
            "enterprise",
            "is_pocket",
            "in_transit",
            "include_left",
            "needs",
        ]

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("include_left"):
            queryset = queryset.current()
        return queryset

    @property
    def qs(self):
        # An unbound filterset (a page without parameters) skips filter_queryset: the default
        # "current members only" must hold there too.
        if not self.is_bound and not hasattr(self, "_qs"):
            self._qs = self.queryset.all().current()
        return super().qs

    def filter_include_left(self, queryset, name, value):
        return queryset  # applied in filter_queryset, because its absence filters too

    def filter_q(self, queryset, name, value):
        """Name, phone, or the last digits of an ID number (at least four; a suffix match)."""
        value = value.strip()
        if not value:
            return queryset
        condition = Q(name__icontains=value)
        # Full-width digits (an input method's) read as ASCII; other digits (٣, ²) are no number.
        digits = ascii_width(value).replace(" ", "").replace("-", "")
        if is_ascii_digits(digits) or (is_ascii_digits(digits[:-1]) and digits[-1:] in ("x", "X")):
            if len(digits) >= 4:
                condition |= Q(pk__in=Member.objects.id_number_ends_with(digits).values("pk"))
            if is_ascii_digits(digits):
                condition |= Q(phone__contains=digits)
        return queryset.filter(condition)

    def filter_category(self, queryset, name, values):
        return queryset.filter(categories__overlap=list(values)) if values else queryset

    def filter_enterprise(self, queryset, name, value):
        return queryset.filter(enterprise=normalize_credit_code(value))

    def filter_in_transit(self, queryset, name, value):
        if value is None:
            return queryset
        open_letters = TransferLetter.objects.in_transit().values("member_id")
        return queryset.filter(pk__in=open_letters) if value else queryset.exclude(pk__in=open_letters)

    def filter_needs(self, queryset, name, value):
        return queryset.filter(member_needs_condition(value)) if value else queryset


class TransferLetterFilterSet(BaseFilterSet):
    """Filters of transfer letters; ``within`` and ``organization`` match either side."""

    search_fields = ("letter_number__icontains", "member__name__icontains", "external_destination__icontains")

    status = django_filters.MultipleChoiceFilter(
        choices=TransferStatusChoices.choices, method="filter_status", label=_("Status")
    )
    member = django_filters.NumberFilter(field_name="member_id", label=_("Member (id)"))
    direction = django_filters.ChoiceFilter(
        choices=(("out", _("Issued by")), ("in", _("Addressed to"))),
        method="filter_direction",
        label=_("Direction"),
    )
    organization = django_filters.CharFilter(method="filter_organization", label=_("Organization (code)"))

    class Meta:
        model = TransferLetter
        fields = ["q", "within", "status", "member", "organization", "direction"]

    def filter_status(self, queryset, name, values):
        """By the status as of today: a letter past its validity is expired even before the task runs."""
        if not values:
            return queryset
        today = timezone.localdate()
        condition = Q()
        for value in values:
            if value == TransferStatusChoices.ISSUED:
                condition |= Q(status=value, valid_until__gte=today)
            elif value == TransferStatusChoices.EXPIRED:
                condition |= Q(status=value) | Q(status=TransferStatusChoices.ISSUED, valid_until__lt=today)
            else:
                condition |= Q(status=value)
        return queryset.filter(condition)

    def filter_within(self, queryset, name, value):
        organization = self._visible_organization(value)
        return queryset.filter(
            Q(from_organization__path__startswith=organization.path) | Q(to_organization__path__startswith=organization.path)
        )

    def filter_organization(self, queryset, name, value):
        return queryset.filter(Q(from_organization__code=value) | Q(to_organization__code=value))

    def filter_direction(self, queryset, name, value):
        """Letters the user's organizations issued (out) or received (in)."""
        user = getattr(self.request, "user", None)
        mine = scope.restrict(Organization.objects.all(), user, "view", for_model=Member).values("pk")
        if value == "out":
            return queryset.filter(from_organization__in=mine)
        if value == "in":
            return queryset.filter(to_organization__in=mine)
        return queryset

    def _visible_organization(self, code):
        user = getattr(self.request, "user", None)
        organization = scope.restrict(Organization.objects.all(), user, "view").filter(code=code).first()
        if organization is None:
            raise Http404(gettext("No organization with code {code} in your scope.").format(code=code))
        return organization
