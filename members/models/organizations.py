"""The party-organization tree (党组织): committee → working committee → general branch → branch → group."""

import pghistory
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.choices import OrganizationKindChoices, SectorChoices
from members.models.members import add_years
from portal.models import ScopedModel, ScopedQuerySet

# Each level of the materialized path is the organization's id in base 36, six characters wide,
# so "this organization and everything below it" is one indexed prefix scan and the path sorts
# in tree order. Six characters hold ids up to 2,176,782,335.
PATH_STEP = 6
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def path_step(pk):
    """The path segment of the organization with primary key ``pk``."""
    digits = []
    number = int(pk)
    while number:
        number, rest = divmod(number, 36)
        digits.append(_ALPHABET[rest])
    return "".join(reversed(digits)).rjust(PATH_STEP, "0")


def path_ancestors(path):
    """The paths of every ancestor of ``path``, root first, without ``path`` itself."""
    return [path[:end] for end in range(PATH_STEP, len(path), PATH_STEP)]


class TermExpiry(models.Func):
    """``term_started_on + term_years years`` as a date, computed by PostgreSQL."""

    template = "((%(expressions)s))::date)"
    arg_joiner = " + make_interval(years => "
    output_field = models.DateField()


class OrganizationQuerySet(ScopedQuerySet):
    def within(self, organization):
        """That organization and everything below it."""
        return self.filter(path__startswith=organization.path)

    def term_overdue(self, today=None):
        """Active organizations whose term of office has run out without re-election (换届)."""
        today = today or timezone.localdate()
        return self.filter(is_active=True, term_expires_on__lt=today)


class Organization(ScopedModel):
    """A party organization (党组织): a node of the one tree the portal is organized by.

    Territorial committees (county, township or street, village or community) double as the
    geography that enterprises and service stations are located in.
    """

    scope_organization = ""
    scope_actions = {
        "staff": {"view", "add", "change", "delete", "view_stats"},
        "secretary": {"view", "view_stats"},
        "reader": {"view_stats"},
    }

    code = models.CharField(
        _("code"),
        max_length=64,
        unique=True,
        help_text=_("Stable external key of the organization; cannot be changed once created."),
    )
    name = models.CharField(_("name"), max_length=200, db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganizationKindChoices.choices)
    sector = models.CharField(_("sector"), max_length=20, choices=SectorChoices.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    depth = models.GeneratedField(
        expression=Length("path") / PATH_STEP, output_field=models.PositiveSmallIntegerField(), db_persist=True
    )
    term_started_on = models.DateField(_("term started on"), null=True, blank=True)
    term_years = models.PositiveSmallIntegerField(
        _("term in years"), null=True, blank=True, help_text=_("Usually 3 or 5 years.")
    )
    term_expires_on = models.GeneratedField(
        expression=TermExpiry("term_started_on", "term_years"),
        output_field=models.DateField(),
        db_persist=True,
        verbose_name=_("term expires on"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("party organization")
        verbose_name_plural = _("party organizations")
        indexes = [
            models.Index(fields=["term_expires_on"], name="members_org_term_expires"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(term_years__isnull=True) | models.Q(term_years__gte=1, term_years__lte=10),
                name="organization_term_years_range",
                violation_error_message=_("A term of office lasts between 1 and 10 years."),
            ),
        ]

    def __str__(self):
        return "{} ({})".format(self.name, self.code)

    def get_absolute_url(self):
        return reverse("members:organization_detail", args=[self.code])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._saved_parent_id = self.parent_id if self.pk else None

    @property
    def is_term_overdue(self):
        return bool(self.is_active and self.term_expires_on and self.term_expires_on < timezone.localdate())

    def ancestors(self):
        """Every organization above this one, root first.

        Outside the gate on purpose: a page names an organization's ancestors even above the
        user's scope (as plain text, ``{% link_or_text %}``): a place in the tree, not a record."""
        return (
            Organization.objects.unrestricted("ancestors are named, never opened, outside scope")
            .filter(path__in=path_ancestors(self.path))
            .order_by("path")
        )

    def descendants(self, include_self=False):
        qs = Organization.objects.filter(path__startswith=self.path)
        return qs if include_self else qs.exclude(pk=self.pk)

    def is_descendant_of(self, other):
        return self.path != other.path and self.path.startswith(other.path)

    def clean(self):
        super().clean()
        if self.parent_id and self.pk:
            if self.parent_id == self.pk or self.parent.path.startswith(self.path):
                raise ValidationError(
                    {"parent": _("An organization cannot be moved under itself or one of its own subordinates.")}
                )
        if self.parent_id and self.parent.kind == OrganizationKindChoices.GROUP:
            raise ValidationError({"parent": _("A party group cannot have subordinate organizations.")})
        if self.kind == OrganizationKindChoices.GROUP and self.parent_id is None:
            raise ValidationError({"parent": _("A party group belongs to a branch.")})
        if self.term_years is not None and not 1 <= self.term_years <= 10:
            raise ValidationError({"term_years": _("A term of office lasts between 1 and 10 years.")})
        if (self.term_started_on is None) != (self.term_years is None):
            raise ValidationError(_("Give both the start and the length of the term of office, or neither."))
        if self.term_started_on is not None and self.term_years is not None:
            # term_expires_on is computed by PostgreSQL; past the year 9999 Python cannot read it back.
            try:
                add_years(self.term_started_on, self.term_years)
            except OverflowError:
                raise ValidationError(
                    {"term_started_on": _("The term of office would end after the year 9999; check its start.")}
                ) from None

    @transaction.atomic
    def save(self, *args, **kwargs):
        if self._state.adding and not self.path:
            if self.pk is None:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [self._meta.db_table])
                    self.pk = cursor.fetchone()[0]
            self.path = (self.parent.path if self.parent_id else "") + path_step(self.pk)
            super().save(*args, **kwargs)
        elif not self._state.adding and self.parent_id != self._saved_parent_id:
            super().save(*args, **kwargs)
            self._move_subtree()
        else:
            super().save(*args, **kwargs)
            # PostgreSQL computes the generated columns; read them back so the object is true.
            self.refresh_from_db(fields=["depth", "term_expires_on"])
        self._saved_parent_id = self.parent_id

    def _move_subtree(self):
        """Rewrite the paths of this organization and its whole subtree under the new parent."""
        old_path = Organization.objects.values_list("path", flat=True).get(pk=self.pk)
        new_parent_path = Organization.objects.values_list("path", flat=True).get(pk=self.parent_id) if self.parent_id else ""
        if new_parent_path.startswith(old_path):
            raise ValidationError(
                {"parent": _("An organization cannot be moved under itself or one of its own subordinates.")}
            )
        new_path = new_parent_path + path_step(self.pk)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE members_organization SET path = %s || substr(path, %s) WHERE path LIKE %s",
                [new_path, len(old_path) + 1, old_path.replace("%", r"\%").replace("_", r"\_") + "%"],
            )
        self.path = new_path
        self.refresh_from_db(fields=["path", "depth"])

    def deletion_blockers(self):
        """Why this organization cannot be deleted now (empty when it can)."""
        reasons = []
        # Rows the user cannot see block a deletion all the same: these look at everything.
        if self.children.unrestricted("a child outside scope still blocks deletion").exists():
            reasons.append(_("It still has subordinate organizations; move or delete them first."))
        if self.members.unrestricted("a member outside scope still blocks deletion").exists():
            reasons.append(_("It still has party members; transfer them first."))
        if self.role_assignments.exists():
            reasons.append(_("Users still hold roles on it; withdraw their roles first."))
        return reasons


pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    exclude=["updated_at"],
)(Organization)
