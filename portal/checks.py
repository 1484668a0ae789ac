"""System checks that guard the portal's invariants at start-up."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.database)
def postgresql_only(app_configs, **kwargs):
    """The portal relies on PostgreSQL features (advisory locks, triggers, COPY)."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != "django.db.backends.postgresql":
        return [checks.Error("The portal needs PostgreSQL, not {}.".format(engine), id="portal.E001")]
    return []
