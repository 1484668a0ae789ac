"""Transfers of organizational relations (组织关系转接): the letter that moves a member."""

import datetime

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.choices import ExitReasonChoices, TransferStatusChoices
from portal import scope
from portal.models import ScopedModel, ScopedQuerySet
from portal.workflow import Transition, Workflow, WorkflowConflict

# How long a letter stays valid when the issuer does not say (letters are usually valid 1–3 months).
DEFAULT_VALIDITY_DAYS = 90


def default_valid_until(issued_on):
    """The end of validity of a letter issued on ``issued_on`` when the issuer does not say;
    None when it would fall past the calendar's last day (9999-12-31)."""
    try:
        return issued_on + datetime.timedelta(days=DEFAULT_VALIDITY_DAYS)
    except OverflowError:
        return None


class TransferError(WorkflowConflict):
    """The letter's state forbids the step (already decided, expired...): the API answers 409
    (the portal's one workflow conflict, ``portal.workflow.WorkflowConflict``)."""


class TransferLetterQuerySet(ScopedQuerySet):
    def in_transit(self, today=None):
        """Issued letters still within their validity: their members are on the way."""
        today = today or timezone.localdate()
        return self.filter(status=TransferStatusChoices.ISSUED, valid_until__gte=today)

    def past_validity(self, today=None):
        today = today or timezone.localdate()
        return self.filter(status=TransferStatusChoices.ISSUED, valid_until__lt=today)

    def expire_due(self, today=None):
        """Marks issued letters past their validity as expired; returns how many. Idempotent.

        The workflow's ``expire`` step, made by the system (no user: nobody's scope limits it)."""
        expire = LETTERS["expire"]
        return self.past_validity(today).filter(status__in=expire.source).update(
            status=expire.target, updated_at=timezone.now()
        )


class TransferLetter(ScopedModel):
    """A letter of introduction (组织关系介绍信) moving a member's organizational relation.

    The issuing organization writes it for one of its members, addressed to another organization
    in the system or to a destination outside it. The receiving side accepts it (the member moves
    there; the history keeps where they were) or returns it; unanswered, it expires after its
    validity. While a letter is issued and valid the member is "in transit".
    """

    # The issuing side owns the letter; the receiving side sees it too (``scope_extra``).
    scope_organization = "from_organization"
    scope_actions = {
        "staff": {"view", "add", "change"},
        "secretary": {"view", "add", "change"},
        "reader": set(),
    }

    @classmethod
    def scope_extra(cls, user_scope, action):
        """Both sides of a letter see it: the receiving side sees the letters addressed to an
        organization where it may see members (the issuing side owns it: ``scope_organization``)."""
        if action != "view":
            return None
        from members.models import Member

        return scope.covered_q(user_scope, "view", Member, "to_organization__")

    letter_number = models.CharField(
        _("letter number"),
        max_length=40,
        unique=True,
        help_text=_("The number printed on the letter; generated when left empty."),
    )
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="transfer_letters", verbose_name=_("member")
    )
    from_organization = models.ForeignKey(
        "members.Organization",
        on_delete=models.PROTECT,
        related_name="transfer_letters_out",
        verbose_name=_("from organization"),
    )
    to_organization = models.ForeignKey(
        "members.Organization",
        on_delete=models.PROTECT,
        related_name="transfer_letters_in",
        null=True,
        blank=True,
        verbose_name=_("to organization"),
    )
    external_destination = models.CharField(
        _("destination outside the system"),
        max_length=200,
        blank=True,
        help_text=_("The receiving organization when it is not in this system."),
    )
    reason = models.CharField(_("reason"), max_length=500)
    issued_on = models.DateField(_("issued on"), default=timezone.localdate)
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        _("status"), max_length=20, choices=TransferStatusChoices.choices, default=TransferStatusChoices.ISSUED
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted or returned by"),
    )
    decided_at = models.DateTimeField(_("accepted or returned at"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=500, blank=True)

    objects = TransferLetterQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("transfer letter")
        verbose_name_plural = _("transfer letters")
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status="issued"),
                name="transfer_one_open_letter_per_member",
                violation_error_message=_("This member already has an open transfer letter."),
            ),
            models.CheckConstraint(
                condition=Q(to_organization__isnull=True) ^ Q(external_destination=""),
                name="transfer_one_destination",
                violation_error_message=_("Give either an organization in the system or a destination outside it."),
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("issued_on")),
                name="transfer_valid_after_issue",
                violation_error_message=_("A letter cannot expire before it is issued."),
            ),
        ]
        indexes = [models.Index(fields=["status", "valid_until"], name="transfer_status_valid")]

    def __str__(self):
        return "{} ({})".format(self.letter_number, self.member)

    def get_absolute_url(self):
        return reverse("members:transfer_detail", args=[self.pk])

    @property
    def is_external(self):
        return self.to_organization_id is None

    @property
    def destination(self):
        return self.to_organization.name if self.to_organization_id else self.external_destination

    @property
    def current_status(self):
        """The status as of today: an issued letter past its validity reads as expired even before
        the nightly task writes it down."""
        if self.status == TransferStatusChoices.ISSUED and self.valid_until < timezone.localdate():
            return TransferStatusChoices.EXPIRED
        return self.status

    def get_current_status_display(self):
        return TransferStatusChoices(self.current_status).label

    def clean(self):
        super().clean()
        errors = {}
        self.external_destination = (self.external_destination or "").strip()
        if self.to_organization_id and self.external_destination:
            errors["external_destination"] = [
                _("Give either an organization in the system or a destination outside it, not both.")
            ]
        elif not self.to_organization_id and not self.external_destination:
            errors["to_organization"] = [_("Say where the member is transferred to.")]
        if self.to_organization_id and self.member_id and self.to_organization_id == self.member.organization_id:
            errors["to_organization"] = [_("The member already belongs to this organization.")]
        if self.issued_on and self.valid_until and self.valid_until < self.issued_on:
            errors["valid_until"] = [_("A letter cannot expire before it is issued.")]
        if self.issued_on and not self.valid_until and default_valid_until(self.issued_on) is None:
            errors["issued_on"] = [
                _("A letter issued on this date would be valid past the year 9999; check the issue date.")
            ]
        if self._state.adding and self.member_id:
            if not self.member.is_current:
                errors["member"] = [_("This member has left the roster.")]
            elif TransferLetter.objects.filter(member_id=self.member_id, status=TransferStatusChoices.ISSUED).exists():
                errors["member"] = [_("This member already has an open transfer letter.")]
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if self._state.adding:
            if not self.valid_until:
                self.valid_until = default_valid_until(self.issued_on or timezone.localdate())
            if self.member_id and not self.from_organization_id:
                self.from_organization_id = self.member.organization_id
            if not self.letter_number:
                # Number from the primary-key sequence, so concurrent issues never collide.
                with connection.cursor() as cursor:
                    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [self._meta.db_table])
                    self.pk = cursor.fetchone()[0]
                self.letter_number = "ZZ{}{:06d}".format((self.issued_on or timezone.localdate()).year, self.pk)
        super().save(*args, **kwargs)

    def may_be_decided_by(self, user, step):
        """Accepting needs the right to add members at the destination (the issuing side confirms
        the receipt of a letter to outside the system); returning is also open to the issuing
        side, which may withdraw its letter."""
        from members.models import Member

        issuing_side = scope.allows(user, "change", Member, self.member.organization)
        if self.is_external:
            return issuing_side
        receiving_side = scope.allows(user, "add", Member, self.to_organization)
        if step == "accept":
            return receiving_side
        return receiving_side or issuing_side

    def _decide(self, status, user, note):
        self.status = status
        self.decided_by = user
        self.decided_at = timezone.now()
        self.decision_note = note or ""
        self.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])

    def _check_open(self):
        """Persists the expiry of a letter found past its validity, then refuses any step on a
        letter that is no longer open."""
        if self.current_status == TransferStatusChoices.EXPIRED and self.status == TransferStatusChoices.ISSUED:
            TransferLetter.objects.filter(pk=self.pk).expire_due()
            self.status = TransferStatusChoices.EXPIRED
        if self.status not in LETTERS["accept"].source:
            raise TransferError(
                _("This letter is {status}; it can no longer be accepted or returned.").format(
                    status=self.get_status_display().lower()
                )
            )

    def accept(self, user, note=""):
        """The receiving side takes the member in: the member moves to the destination organization
        (or, for a destination outside the system, leaves the roster as transferred out)."""
        self._check_open()  # outside the atomic block below: a found expiry stays recorded
        with transaction.atomic():
            member = type(self.member).objects.select_for_update().get(pk=self.member_id)
            if self.is_external:
                member.record_exit(ExitReasonChoices.TRANSFER_OUT)
            else:
                member.organization_id = self.to_organization_id
                member.save(update_fields=["organization", "updated_at"])
            self.member = member
            self._decide(LETTERS["accept"].target, user, note)

    def return_letter(self, user, note=""):
        """The receiving side sends the letter back: the member stays where they were."""
        self._check_open()
        self._decide(LETTERS["return_letter"].target, user, note)


def _decided_by(step):
    return lambda user, letter: letter.may_be_decided_by(user, step)


# A letter is decided once: accepted or returned by a side that may (``may_be_decided_by``), or
# expired by the nightly task once past its validity. One letter at a time (not set-based), so the
# models' methods make the steps; the declaration is what pages, API and tests read.
LETTERS = Workflow(
    model=TransferLetter,
    field="status",
    states=TransferStatusChoices,
    transitions=[
        Transition(
            "accept",
            source=TransferStatusChoices.ISSUED,
            target=TransferStatusChoices.ACCEPTED,
            label="accept",
            permits=_decided_by("accept"),
        ),
        Transition(
            "return_letter",
            source=TransferStatusChoices.ISSUED,
            target=TransferStatusChoices.RETURNED,
            label="return",
            permits=_decided_by("return_letter"),
        ),
        Transition(
            "expire",
            source=TransferStatusChoices.ISSUED,
            target=TransferStatusChoices.EXPIRED,
            label="expire",
            permits=lambda user, letter: False,  # the system's step only (members.tasks)
        ),
    ],
)


pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    exclude=["updated_at"],
)(TransferLetter)
