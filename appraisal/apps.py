from django.utils.translation import gettext_lazy as _

from portal.apps import PortalAppConfig
from portal.demo import DemoStep
from portal.navigation import MenuItem


class AppraisalConfig(PortalAppConfig):
    """Democratic appraisal of party members (民主评议党员)."""

    name = "appraisal"
    verbose_name = _("Democratic appraisal")

    menu_items = [
        MenuItem(_("Appraisal"), "appraisal:round_list", weight=40, model="appraisal.Rating"),
        MenuItem(_("Disposals due"), "appraisal:disposal_list", weight=41, model="appraisal.DisposalDecision"),
    ]
    dashboard_parts = ["appraisal.dashboard.part"]
    rollup_contributors = ["appraisal.rollups.APPRAISAL"]
    demo_steps = [DemoStep("appraisal", "appraisal.demo.load_demo", order=300)]
