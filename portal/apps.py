from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The shared core of the portal: roles and scope, base models and views, rollups, dashboard."""

    name = "portal"
    verbose_name = _("Portal")

    def ready(self):
        from django.db.models.signals import post_migrate

        from portal import checks, security_headers, signals  # noqa: F401  (registers checks and signal handlers)
        from portal.demo import register_demo_step
        from portal.protections import install_after_migrate
        from portal.rollups.demo import first_rollup

        # Last: the snapshot counts what the apps' demo steps created.
        register_demo_step("statistics: a first rollup snapshot", first_rollup, order=900)
        # Audit events append-only, final states final, whatever a session sets (portal.protections).
        post_migrate.connect(install_after_migrate, sender=self, dispatch_uid="portal.protections")
