from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppraisalConfig(AppConfig):
    """Democratic appraisal of party members (民主评议党员)."""

    name = "appraisal"
    verbose_name = _("Democratic appraisal")
