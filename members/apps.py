from django.utils.translation import gettext_lazy as _

from portal.apps import PortalAppConfig
from portal.demo import DemoStep
from portal.navigation import MenuItem


def is_secretary(user):
    """Whether ``user`` holds a branch secretary's role somewhere (the "My branch" entry)."""
    from portal import scope
    from portal.choices import RoleChoices

    return user.is_authenticated and bool(scope.get_scope(user).organizations(role=RoleChoices.SECRETARY))


class MembersConfig(PortalAppConfig):
    """Party organizations (the tree everything hangs on) and party members."""

    name = "members"
    verbose_name = _("Organizations and members")

    menu_items = [
        MenuItem(_("My branch"), "members:my_branch", weight=5, visible=is_secretary),
        MenuItem(_("Organization tree"), "members:organization_tree", weight=10, model="members.Organization"),
        MenuItem(_("Organizations"), "members:organization_list", weight=20, model="members.Organization"),
        MenuItem(_("Members"), "members:member_list", weight=30, model="members.Member"),
        MenuItem(_("Transfer letters"), "members:transfer_list", weight=35, model="members.TransferLetter"),
        MenuItem(_("Census"), "members:census", weight=38, model="members.Member"),
    ]
    dashboard_parts = ["members.dashboard.part"]
    rollup_contributors = ["members.rollups.ORGANIZATIONS", "members.rollups.MEMBERS"]
    demo_steps = [DemoStep("members: the three cities of the seed report", "members.demo.load", order=100)]
    demo_users = "members.demo.DEMO_USERS"
