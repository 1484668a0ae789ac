from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppraisalConfig(AppConfig):
    """Democratic appraisal of party members (民主评议党员)."""

    name = "appraisal"
    verbose_name = _("Democratic appraisal")

    def ready(self):
        from appraisal.models import DisposalDecision, Rating
        from portal import scope
        from portal.demo import register_demo_step
        from portal.navigation import MenuItem, register_menu_item

        register_menu_item(
            MenuItem(
                _("Appraisal"),
                "appraisal:round_list",
                weight=40,
                visible=lambda user: scope.may_ever(user, "view", Rating),
            )
        )
        register_menu_item(
            MenuItem(
                _("Disposals due"),
                "appraisal:disposal_list",
                weight=41,
                visible=lambda user: scope.may_ever(user, "view", DisposalDecision),
            )
        )

        def demo_step(stdout):
            from appraisal.demo import load_demo

            load_demo(stdout)

        register_demo_step("appraisal", demo_step, order=300)

        from appraisal.dashboard import contribution
        from portal.dashboard import register_dashboard

        register_dashboard(contribution)
