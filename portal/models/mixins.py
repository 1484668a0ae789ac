"""Declarations every app's models repeat, written once: the organization a row belongs to
(``OrganizationOwned``) and the history a model keeps (``audited``)."""

import pghistory
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.tree import organization_model_label

HISTORY_EVENTS = {
    "insert": pghistory.InsertEvent,
    "update": pghistory.UpdateEvent,
    "delete": pghistory.DeleteEvent,
}


def audited(*events, exclude=("updated_at",)):
    """Class decorator: the model keeps a history of its rows (pghistory event table and triggers).

    ``events`` are among "insert", "update", "delete" (all three by default); ``updated_at`` is left
    out because it changes on every save and says nothing. The triggers are statement-level
    (settings.PGHISTORY_LEVEL): a workflow step or an enrolment touches thousands of rows in one
    statement, and one INSERT ... SELECT from the transition table records them all (row-level
    triggers cost about a millisecond a row: 20 s for a city's ratings). The event model and trigger
    names are pghistory's defaults, the same as a bare ``pghistory.track(...)`` gives.
    """
    trackers = [HISTORY_EVENTS[event]() for event in events or HISTORY_EVENTS]

    def decorate(model):
        return pghistory.track(*trackers, exclude=list(exclude))(model)

    return decorate


class OrganizationOwned(models.Model):
    """A row that belongs to one organization of the tree; its scope is that organization's.

    Mix it in before ``ScopedModel`` (``class Objection(OrganizationOwned, ScopedModel)``). The
    inherited field comes first among the model's fields: adopt it only where the migration
    autodetector reports no change (a history trigger lists the columns in field order).
    """

    scope_organization = "organization"

    organization = models.ForeignKey(
        organization_model_label(), on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )

    class Meta:
        abstract = True
