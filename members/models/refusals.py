"""Refused registrations (登记拒绝记录): a person who is already a current member outside the user's
scope, whom the user tried to register (or to import, or to give a member's ID number).

ID numbers are unique among current members across the whole city, so registering someone who
belongs to another organization must be refused. How it is refused must not tell the user that
this person is a party member elsewhere (issue 8: a dry-run import of every sequence number of one
birth date and region would otherwise list the members of that region). The refusal therefore
says only "This person cannot be registered here; ask the organization department.", the same
words whoever the member is, and:

* every such refusal is recorded here, with the ID number, for the organization department's
  follow-up (the Django admin, city administrators only), and logged with the number masked;
* a user refused more than ``settings.REGISTRATION_REFUSAL_LIMIT`` times within
  ``REFUSAL_WINDOW`` may register no one (form, API or import) until older refusals age out, so
  probing the roster costs one hour per handful of answers.

A duplicate the user may see is no secret: callers say precisely who it is (``clash_in_scope``).
"""

import datetime
import logging

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from members.validators import mask_id_number
from portal import scope

logger = logging.getLogger(__name__)

# Refusals older than this no longer count against the user.
REFUSAL_WINDOW = datetime.timedelta(hours=1)
DEFAULT_REFUSAL_LIMIT = 5


class RegistrationSourceChoices(models.TextChoices):
    FORM = "form", _("form")
    API = "api", _("API")
    IMPORT = "import", _("import")


class RegistrationLimitReached(Exception):
    """The user was refused too many registrations lately; no further member is registered by them
    until ``retry_after`` seconds have passed. The API answers 429, pages show the message."""

    def __init__(self, retry_after):
        self.retry_after = retry_after
        super().__init__(self.message)

    @property
    def message(self):
        minutes = max(1, -(-self.retry_after // 60))
        return gettext(
            "Too many registrations were refused for you in the last hour; try again in {minutes} minutes"
            " or ask the organization department."
        ).format(minutes=minutes)

    def __str__(self):
        return self.message


class RegistrationRefusalQuerySet(models.QuerySet):
    def recent(self, user, now=None):
        """The user's refusals that still count against them."""
        now = now or timezone.now()
        return self.filter(user=user, refused_at__gt=now - REFUSAL_WINDOW)


class RegistrationRefusal(models.Model):
    """One refused attempt to register a person who is a current member outside the user's scope."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    refused_at = models.DateTimeField(_("refused at"), default=timezone.now)
    id_number = models.CharField(_("ID number"), max_length=18)
    organization = models.ForeignKey(
        "members.Organization",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organization"),
        help_text=_("Where the user tried to register the person."),
    )
    source = models.CharField(_("source"), max_length=10, choices=RegistrationSourceChoices.choices)

    objects = RegistrationRefusalQuerySet.as_manager()

    class Meta:
        ordering = ["-refused_at", "-id"]
        verbose_name = _("refused registration")
        verbose_name_plural = _("refused registrations")
        indexes = [models.Index(fields=["user", "refused_at"], name="refusal_user_time")]

    def __str__(self):
        return "{} {}".format(self.user, mask_id_number(self.id_number))

    @classmethod
    def record(cls, user, source, attempts):
        """Record ``attempts``, ``(id_number, organization_id)`` pairs, refused to ``user``.

        Called after the refused request's transaction is over (it is rolled back), so the
        record stays."""
        attempts = list(attempts)
        if not attempts or user is None or not user.is_authenticated:
            return
        now = timezone.now()
        cls.objects.bulk_create(
            [
                cls(user=user, refused_at=now, id_number=id_number, organization_id=organization_id, source=source)
                for id_number, organization_id in attempts
            ],
            batch_size=1000,
        )
        # Masked here, not only by the logging filter: the number must never reach a log.
        logger.warning(
            "Refused to register %d person(s) already current members elsewhere for user %s (%s): %s",
            len(attempts),
            user.get_username(),
            source,
            ", ".join(mask_id_number(id_number) for id_number, _organization in attempts[:10]),
        )


def refusal_limit():
    return getattr(settings, "REGISTRATION_REFUSAL_LIMIT", DEFAULT_REFUSAL_LIMIT)


def remaining_refusals(user, now=None):
    """How many more refusals ``user`` may receive before registering is closed to them."""
    if user is None or not user.is_authenticated:
        return refusal_limit()
    return max(0, refusal_limit() - RegistrationRefusal.objects.recent(user, now).count())


def check_registration_allowed(user, now=None):
    """Raise ``RegistrationLimitReached`` when ``user`` has used up their refusals."""
    if user is None or not user.is_authenticated:
        return
    now = now or timezone.now()
    recent = RegistrationRefusal.objects.recent(user, now)
    # Only the newest ``limit`` refusals matter: the window reopens when the oldest of them ages out.
    times = list(recent.order_by("-refused_at").values_list("refused_at", flat=True)[: refusal_limit()])
    if len(times) >= refusal_limit():
        raise RegistrationLimitReached(retry_after=limit_retry_after(times[-1], now))


def limit_retry_after(oldest_counted, now=None):
    """Seconds until the refusal made at ``oldest_counted`` stops counting."""
    now = now or timezone.now()
    return max(1, int((oldest_counted + REFUSAL_WINDOW - now).total_seconds()) + 1)


def clash_in_scope(user, id_number, exclude_pk=None):
    """The current member with ``id_number`` whom ``user`` may see (None when there is none, or
    when the one there is lies outside the user's scope)."""
    from members.models import Member

    others = Member.objects.current().filter(id_number=id_number).select_related("organization")
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return scope.restrict(others, user, "view").first()


def clash_message(member):
    """The precise answer for a duplicate the user may see."""
    return gettext("{name} of {organization} is already a current member with this ID number.").format(
        name=member.name, organization=member.organization.name
    )
