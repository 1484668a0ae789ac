from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The shared core of the portal: roles and scope, base models and views, rollups, dashboard."""

    name = "portal"
    verbose_name = _("Portal")

    def ready(self):
        from portal import checks, signals  # noqa: F401  (registers checks and signal handlers)
        from portal.demo import register_demo_step
        from portal.rollups.demo import first_rollup

        # Last: the snapshot counts what the apps' demo steps created.
        register_demo_step("statistics: a first rollup snapshot", first_rollup, order=900)
