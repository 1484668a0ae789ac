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
    """A queryset that can be cut down to what a user may see or change.

    It is the gate's checkpoint: every way it reaches the database asks ``scope.check_gate``
    first, which (only inside ``scope.enforce_gate()``) refuses a queryset that neither
    ``restrict`` nor ``unrestricted`` made.
    """

    _scope_gate = None

    def restrict(self, user, action="view"):
        """Only the rows ``user`` may ``action`` (view, add, change, delete, view_personal...)."""
        return scope.restrict(self, user, action)

    def unrestricted(self, reason):
        """All rows, on purpose: system work not done for one user (rollups, demo data, tasks,
        migrations) or child rows of a parent the caller has already passed through ``restrict``.
        ``reason`` says which; it is what a reader of the code checks."""
        if not reason:
            raise ValueError("unrestricted() needs a reason")
        return scope.mark_restricted(self._chain(), reason)

    def _clone(self):
        clone = super()._clone()
        clone._scope_gate = self._scope_gate
        return clone

    def __or__(self, other):
        combined = super().__or__(other)
        # Both sides must have passed the gate for their union to have.
        combined._scope_gate = self._scope_gate and getattr(other, "_scope_gate", None)
        return combined

    def _fetch_all(self):
        if self._result_cache is None:
            scope.check_gate(self, "read")
        super()._fetch_all()

    def iterator(self, chunk_size=None):
        scope.check_gate(self, "read")
        return super().iterator(chunk_size=chunk_size)

    def count(self):
        if self._result_cache is None:
            scope.check_gate(self, "count")
        return super().count()

    def exists(self):
        if self._result_cache is None:
            scope.check_gate(self, "exists")
        return super().exists()

    def aggregate(self, *args, **kwargs):
        scope.check_gate(self, "aggregate")
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs):
        scope.check_gate(self, "update")
        return super().update(**kwargs)

    def delete(self):
        scope.check_gate(self, "delete")
        return super().delete()


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

    @classmethod
    def scope_extra(cls, user_scope, action):
        """The rows beyond the user's subtree this model also opens for ``action``, as a ``Q``
        (None: none). ``restrict`` ORs it with the subtree condition; never called for a city
        administrator. A model declares its visibility rules here, not in a separate method."""
        return None

    def get_scope_organization(self):
        """The organization whose subtree this record lives in."""
        obj = self
        for part in filter(None, self.scope_organization.split("__")):
            obj = getattr(obj, part)
        return obj
