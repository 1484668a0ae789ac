from django.apps import AppConfig, apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from portal.demo import DemoStep


class PortalAppConfig(AppConfig):
    """An app of the portal: what it adds to the shared mechanisms is declared here, as data.

    ``portal`` never imports an app: at start-up ``PortalConfig.ready()`` reads these attributes of
    every installed app (``collect_declarations``), so a new app is a subclass with its lists:

    * ``menu_items``: ``portal.navigation.MenuItem`` entries of the main menu;
    * ``dashboard_parts``: dotted paths of ``portal.dashboard.DashboardPart`` objects;
    * ``rollup_contributors``: dotted paths of ``portal.rollups.Contributor`` figure sets;
    * ``demo_steps``: ``portal.demo.DemoStep`` entries (``function`` may be a dotted path);
    * ``demo_users``: the dotted path of a list of (username, password, role, organization code,
      description) tuples that ``make run`` prints.
    """

    menu_items = ()
    dashboard_parts = ()
    rollup_contributors = ()
    demo_steps = ()
    demo_users = None

    # Django takes the one AppConfig subclass of an app's apps.py as its config, counting imported
    # ones: this base must not count (default = False), every app's subclass must (default = True).
    default = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "default" not in cls.__dict__:
            cls.default = True


def _resolve(app_config, attribute, value):
    if not isinstance(value, str):
        return value
    try:
        return import_string(value)
    except ImportError as error:
        raise ImproperlyConfigured("{}.{}: cannot import {!r} ({}).".format(app_config.name, attribute, value, error)) from error


def collect_declarations(app_configs=None):
    """Register what every app declares (menus, dashboard parts, figure sets, demo steps and users).

    Idempotent: the registries ignore an entry registered twice (a test re-running it).
    """
    from portal.dashboard import register_dashboard
    from portal.demo import register_demo_step, register_demo_user
    from portal.navigation import register_menu_item
    from portal.rollups.registry import register

    for app_config in app_configs if app_configs is not None else apps.get_app_configs():
        for item in getattr(app_config, "menu_items", ()):
            register_menu_item(item)
        for path in getattr(app_config, "dashboard_parts", ()):
            register_dashboard(_resolve(app_config, "dashboard_parts", path))
        for path in getattr(app_config, "rollup_contributors", ()):
            register(_resolve(app_config, "rollup_contributors", path))
        for step in getattr(app_config, "demo_steps", ()):
            register_demo_step(step.name, _resolve(app_config, "demo_steps", step.function), step.order)
        users = getattr(app_config, "demo_users", None)
        for username, password, role, code, description in _resolve(app_config, "demo_users", users) or ():
            register_demo_user(username, password, role, code, description)


class PortalConfig(PortalAppConfig):
    """The shared core of the portal: roles and scope, base models and views, rollups, dashboard."""

    name = "portal"
    verbose_name = _("Portal")
    # Last: the snapshot counts what the apps' demo steps created.
    demo_steps = [DemoStep("statistics: a first rollup snapshot", "portal.rollups.demo.first_rollup", order=900)]

    def ready(self):
        from django.db.models.signals import post_migrate

        from portal import checks, security_headers, signals  # noqa: F401  (registers checks and signal handlers)
        from portal.protections import install_after_migrate

        collect_declarations()
        # Audit events append-only, final states final, whatever a session sets (portal.protections).
        post_migrate.connect(install_after_migrate, sender=self, dispatch_uid="portal.protections")
