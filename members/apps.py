from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    """Party organizations (the tree everything hangs on) and party members."""

    name = "members"
    verbose_name = _("Organizations and members")

    def ready(self):
        from members import demo
        from members.models import Organization
        from portal import scope
        from portal.demo import register_demo_step
        from portal.navigation import MenuItem, register_menu_item

        register_demo_step("members: the three cities of the seed report", demo.load, order=100)
        demo.register_users()

        register_menu_item(
            MenuItem(
                _("Organization tree"),
                "members:organization_tree",
                weight=10,
                visible=lambda user: scope.may_ever(user, "view", Organization),
            )
        )
        register_menu_item(
            MenuItem(
                _("Organizations"),
                "members:organization_list",
                weight=20,
                visible=lambda user: scope.may_ever(user, "view", Organization),
            )
        )
        self._register_roster_menu()

    def _register_roster_menu(self):
        """Menu entries of the roster: members, "my branch", transfer letters, census."""
        from members.models import Member, TransferLetter
        from portal import scope
        from portal.choices import RoleChoices
        from portal.navigation import MenuItem, register_menu_item

        def is_secretary(user):
            return user.is_authenticated and bool(scope.get_scope(user).organizations(role=RoleChoices.SECRETARY))

        register_menu_item(MenuItem(_("My branch"), "members:my_branch", weight=5, visible=is_secretary))
        for label, url_name, weight, model in (
            (_("Members"), "members:member_list", 30, Member),
            (_("Transfer letters"), "members:transfer_list", 35, TransferLetter),
            (_("Census"), "members:census", 38, Member),
        ):
            register_menu_item(
                MenuItem(label, url_name, weight=weight, visible=lambda user, model=model: scope.may_ever(user, "view", model))
            )
