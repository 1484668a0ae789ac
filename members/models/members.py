"""Party members (党员): the roster every other part of the portal counts."""

import datetime
import re

import pghistory
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import OpClass
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Reverse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from members.choices import (
    ActivityStatusChoices,
    ExitReasonChoices,
    GenderChoices,
    MemberCategoryChoices,
    MemberStatusChoices,
)
from members.validators import (
    id_number_birth_date,
    id_number_gender,
    mask_id_number,
    mask_phone,
    normalize_credit_code,
    normalize_id_number,
    normalize_phone,
    validate_credit_code,
    validate_id_number,
)
from portal import scope
from portal.models import ScopedModel, ScopedQuerySet

# Digits, spaces, dashes and an optional leading "+" (mobile 13812345678, landline 0596-1234567).
_PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")

# A member must be at least this old when joining the party (Party Constitution, article 1).
MINIMUM_JOINING_AGE = 18

# How long contact must have been lost before the census flags it, and how long a probationary
# member may wait for the branch's decision (a probation lasts one year).
LOST_CONTACT_FLAG_DAYS = 183
PROBATION_DAYS = 365

# An ID number already held by a current member. The answer is the same whoever holds it: it must
# not tell a user that someone outside their scope is a party member (issue 8). Forms and the API
# know the user: they name the other member when the user may see them, and otherwise record the
# refusal for the organization department (``members.models.refusals``).
ID_NUMBER_TAKEN = "id_number_taken"
ID_NUMBER_REFUSED_MESSAGE = _("This person cannot be registered here; ask the organization department.")


# The fields a user writes (API.md's member fields plus the workplace's name), in the order forms
# and the API show them; the API adds its read-only fields around them.
MEMBER_EDITABLE_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "id_number",
    "phone",
    "organization",
    "status",
    "joined_on",
    "full_member_on",
    "categories",
    "activity_status",
    "enterprise",
    "is_pocket",
    "workplace",
)


def add_years(day, years):
    """``day`` moved ``years`` years on (29 February becomes 28 February in common years).

    Raises OverflowError (as ``date + timedelta`` does) when that is outside the calendar's years
    1 to 9999; callers turn it into a message on the date that caused it."""
    year = day.year + years
    if not datetime.MINYEAR <= year <= datetime.MAXYEAR:
        raise OverflowError("date value out of range")
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


class MemberQuerySet(ScopedQuerySet):
    def current(self):
        """Members still on the roster (not transferred out, deceased, withdrawn or removed)."""
        return self.filter(left_on__isnull=True)

    def id_number_ends_with(self, digits):
        """Members whose ID number ends with ``digits``; served by the index on the reversed number."""
        return self.alias(id_number_reversed=Reverse("id_number")).filter(
            id_number_reversed__startswith=normalize_id_number(digits)[::-1]
        )

    def with_transit(self, today=None):
        """Annotates ``in_transit``: an issued transfer letter still within its validity."""
        from members.models.transfers import TransferLetter

        return self.annotate(in_transit=models.Exists(TransferLetter.objects.in_transit(today).filter(member=models.OuterRef("pk"))))


class Member(ScopedModel):
    """A party member (党员), probationary or formal, registered with one organization.

    Members are never deleted: they leave through a recorded exit reason and date.
    """

    scope_actions = {
        "staff": {"view", "add", "change", "delete", "view_personal"},
        "secretary": {"view", "add", "change", "view_personal"},
        "reader": set(),
    }

    # A person's name (姓名), not an organization's (名称): the same English word, another Chinese one.
    name = models.CharField(pgettext_lazy("person", "name"), max_length=100, db_index=True)
    gender = models.CharField(_("gender"), max_length=10, choices=GenderChoices.choices)
    birth_date = models.DateField(_("birth date"))
    id_number = models.CharField(_("ID number"), max_length=18)
    phone = models.CharField(_("phone"), max_length=20, null=True, blank=True)
    # No index of its own: member_org_status leads with it, and the list's index below covers the rest.
    organization = models.ForeignKey(
        "members.Organization",
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("organization"),
        db_index=False,
    )
    status = models.CharField(_("status"), max_length=20, choices=MemberStatusChoices.choices)
    joined_on = models.DateField(_("joined on"))
    full_member_on = models.DateField(_("full member on"), null=True, blank=True)
    categories = ArrayField(
        models.CharField(max_length=20, choices=MemberCategoryChoices.choices),
        default=list,
        blank=True,
        verbose_name=_("categories"),
    )
    activity_status = models.CharField(
        _("activity status"),
        max_length=20,
        choices=ActivityStatusChoices.choices,
        default=ActivityStatusChoices.NORMAL,
    )
    enterprise = models.CharField(
        _("workplace credit code"),
        max_length=18,
        null=True,
        blank=True,
        db_index=True,
        help_text=_("Unified social credit code of the workplace; the enterprise registry joins on it."),
    )
    workplace = models.CharField(_("workplace"), max_length=200, blank=True)
    is_pocket = models.BooleanField(
        _("pocket member"), default=False, help_text=_("Keeps the relation letter instead of registering.")
    )
    activity_status_since = models.DateField(
        _("activity status since"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the activity status last changed (the census flags contact lost for long)."),
    )
    left_on = models.DateField(_("left on"), null=True, blank=True)
    exit_reason = models.CharField(
        _("exit reason"), max_length=20, choices=ExitReasonChoices.choices, blank=True
    )

    objects = MemberQuerySet.as_manager()

    class Meta:
        ordering = ["organization__path", "name", "id"]
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"],
                # Old paper records may lack the number (the census lists them); blanks never clash.
                condition=models.Q(left_on__isnull=True) & ~models.Q(id_number=""),
                name="member_unique_current_id_number",
                violation_error_message=ID_NUMBER_REFUSED_MESSAGE,
                violation_error_code=ID_NUMBER_TAKEN,
            ),
            models.CheckConstraint(
                condition=~models.Q(status="formal") | models.Q(full_member_on__isnull=False),
                name="member_formal_needs_full_member_on",
                violation_error_message=_("A formal member needs the date they became a full member."),
            ),
            models.CheckConstraint(
                condition=models.Q(left_on__isnull=True, exit_reason="")
                | models.Q(left_on__isnull=False) & ~models.Q(exit_reason=""),
                name="member_exit_needs_reason",
                violation_error_message=_("A member who left needs an exit reason, and only they have one."),
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status"], name="member_org_status"),
            # The roster as lists show it (current members, by organization, name, id): a subtree's
            # count is an index-only scan, and a page walks each organization's members in order
            # instead of sorting the whole subtree (a county of 9,000: 40 ms of SQL to 9 ms).
            models.Index(
                fields=["organization", "name", "id"],
                condition=models.Q(left_on__isnull=True),
                name="member_current_by_org_name",
            ),
            # Search by the last digits of an ID number ("...1234") is a prefix match on the reversed
            # number, so it uses this index instead of scanning the roster.
            models.Index(OpClass(Reverse("id_number"), name="text_pattern_ops"), name="member_id_number_reversed"),
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # What was loaded, so save() can tell when the activity status changes (deferred: unknown).
        self._loaded_activity_status = self.__dict__.get("activity_status") if self.pk else None

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("members:member_detail", args=[self.pk])

    @property
    def is_current(self):
        return self.left_on is None

    def clean(self):
        """The rules of the real documents; forms, the API and the import all run them."""
        super().clean()
        errors = {}
        today = timezone.localdate()
        self.id_number = normalize_id_number(self.id_number)
        self.enterprise = normalize_credit_code(self.enterprise) or None
        self.phone = normalize_phone(self.phone)
        id_number_valid = False
        if self.id_number:
            try:
                validate_id_number(self.id_number)
                id_number_valid = True
            except ValidationError as error:
                errors["id_number"] = error.messages
        else:
            errors["id_number"] = [_("The ID number is required.")]
        if id_number_valid:
            if self.birth_date and id_number_birth_date(self.id_number) != self.birth_date:
                errors["birth_date"] = [_("The birth date does not match the one in the ID number.")]
            if self.gender and id_number_gender(self.id_number) != self.gender:
                errors["gender"] = [_("The gender does not match the ID number.")]
            if self.left_on is None and self._id_number_taken():
                errors["id_number"] = [ValidationError(ID_NUMBER_REFUSED_MESSAGE, code=ID_NUMBER_TAKEN)]
        birth_date_valid = False
        if self.birth_date:
            if self.birth_date > today:
                errors.setdefault("birth_date", [_("The birth date cannot be in the future.")])
            elif self.birth_date.year < 1900:
                errors.setdefault("birth_date", [_("The birth date cannot be before 1900.")])
            else:
                birth_date_valid = True
        if self.phone and not _PHONE_PATTERN.match(self.phone):
            errors["phone"] = [_("A phone number has digits only (and optionally +, spaces or dashes).")]
        if self.enterprise:
            try:
                validate_credit_code(self.enterprise)
            except ValidationError as error:
                errors["enterprise"] = error.messages
        if self.joined_on:
            if self.joined_on > today:
                errors["joined_on"] = [_("The date of joining cannot be in the future.")]
            elif birth_date_valid and self.joined_on < add_years(self.birth_date, MINIMUM_JOINING_AGE):
                errors["joined_on"] = [
                    _("A member joins the party at {age} or older; check the birth and joining dates.").format(
                        age=MINIMUM_JOINING_AGE
                    )
                ]
        if self.status == MemberStatusChoices.FORMAL:
            if not self.full_member_on:
                errors["full_member_on"] = [_("A formal member needs the date they became a full member.")]
            elif self.joined_on and self.full_member_on <= self.joined_on:
                errors["full_member_on"] = [_("A member becomes a full member after joining the party.")]
            elif self.full_member_on > today:
                errors["full_member_on"] = [_("The date of becoming a full member cannot be in the future.")]
        elif self.status == MemberStatusChoices.PROBATIONARY and self.full_member_on:
            errors["full_member_on"] = [_("A probationary member has no full-member date yet.")]
        if errors:
            raise ValidationError(errors)

    def _id_number_taken(self):
        others = Member.objects.current().filter(id_number=self.id_number)
        if self.pk:
            others = others.exclude(pk=self.pk)
        return others.exists()

    def save(self, *args, **kwargs):
        loaded = self._loaded_activity_status
        if self._state.adding or (loaded is not None and loaded != self.activity_status):
            self.activity_status_since = timezone.localdate()
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "activity_status" in update_fields:
                kwargs["update_fields"] = set(update_fields) | {"activity_status_since"}
        super().save(*args, **kwargs)
        self._loaded_activity_status = self.activity_status

    def shows_personal_data_to(self, user):
        """Whether ``user`` may see this member's full ID number and phone (staff in scope, the
        member's own branch secretary). Decided in Python from the user's cached scope and the
        member's organization, so a list asks it per row without a query per row."""
        return scope.allows(user, "view_personal", Member, self.organization)

    def id_number_for(self, user):
        return self.id_number if self.shows_personal_data_to(user) else mask_id_number(self.id_number)

    def phone_for(self, user):
        return self.phone if self.shows_personal_data_to(user) else mask_phone(self.phone)

    def exit_blocker(self):
        """Why the member cannot leave the roster now (None when they can)."""
        from members.models.transfers import TransferLetter

        if not self.is_current:
            return _("This member already left the roster.")
        letters = TransferLetter.objects.unrestricted("any open letter blocks the exit, seen or not")
        if letters.in_transit().filter(member=self).exists():
            return _("This member has an open transfer letter; return it first.")
        return None

    def record_exit(self, reason, on=None):
        """Take the member off the roster for ``reason`` (an ExitReasonChoices value); kept on record."""
        self.left_on = on or timezone.localdate()
        self.exit_reason = reason
        self.save(update_fields=["left_on", "exit_reason", "updated_at"])

    @property
    def probation_ends_on(self):
        """When the one-year probation ends (the branch must then decide)."""
        if self.status != MemberStatusChoices.PROBATIONARY or not self.joined_on:
            return None
        return self.joined_on + datetime.timedelta(days=PROBATION_DAYS)


pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    exclude=["updated_at"],
)(Member)
