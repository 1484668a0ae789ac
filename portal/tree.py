"""The organization tree every scope, rollup and statistic hangs on, looked up in one place.

``portal`` never imports an app: the tree's model is named by ``settings.PORTAL_ORGANIZATION_MODEL``
("app_label.Model", like ``AUTH_USER_MODEL``) and reached through the app registry. Models point at it
with ``ForeignKey(settings.PORTAL_ORGANIZATION_MODEL, ...)`` (``portal.models.mixins.OrganizationOwned``).
"""

from django.apps import apps
from django.conf import settings

DEFAULT_ORGANIZATION_MODEL = "members.Organization"


def organization_model_label():
    """``"app_label.Model"`` of the tree's model."""
    return getattr(settings, "PORTAL_ORGANIZATION_MODEL", DEFAULT_ORGANIZATION_MODEL)


def organization_model():
    """The model of the organization tree (materialized ``path``, ``code``, ``parent``)."""
    return apps.get_model(organization_model_label())
