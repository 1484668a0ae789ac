"""Abstract bases that every app model builds on, so a model declares only its own fields."""

from django.db import models

from portal import scope


class TimestampedModel(models.Model):
    """A record that knows when it was created and last changed."""

    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True


class ScopedQuerySet(models.QuerySet):
    """A queryset that can be cut down to what a user may see or change."""

    def restrict(self, user, action="view"):
        """Only the rows ``user`` may ``action`` (view, add, change, delete, view_personal...)."""
        return scope.restrict(self, user, action)


class ScopedManager(models.Manager.from_queryset(ScopedQuerySet)):
    pass


class ScopedModel(TimestampedModel):
    """A record that belongs to a party organization and is visible only inside its scope.

    ``scope_organization`` names the lookup from this model to its organization ("" when the
    model is the organization itself). ``scope_actions`` says which actions each role has on the
    model inside its subtree; a city administrator has every action everywhere.
    """

    scope_organization = "organization"
    scope_actions = {
        "staff": {"view", "add", "change", "delete", "view_personal"},
        "secretary": set(),
        "reader": set(),
    }

    objects = ScopedManager()

    class Meta:
        abstract = True

    def get_scope_organization(self):
        """The organization whose subtree this record lives in."""
        obj = self
        for part in filter(None, self.scope_organization.split("__")):
            obj = getattr(obj, part)
        return obj
